using System.Numerics.Tensors;
using PathoFed.Mil.Numerics;

namespace PathoFed.Mil.Heads.Abmil;

/// <summary>
/// Gated-attention MIL (Ilse, Tomczak and Welling 2018): h_i = dropout(ReLU(W₁x_i + b₁)) (optional), attention
/// a = softmax_i(wᵀ(tanh(V h_i + b_V) ⊙ sigmoid(U h_i + b_U))), z = Σ a_i h_i, output = W_c z + b_c.
/// </summary>
internal sealed class AbmilHead : MilHeadBase
{
    private readonly InstanceEncoder? _encoder;
    private readonly DenseLayer _attentionV;
    private readonly DenseLayer _attentionU;

    // The scorer w has no bias: softmax is shift-invariant, so a bias would never receive a gradient.
    private readonly MilParameter _attentionW;
    private readonly DenseLayer _classifier;

    private readonly GrowableBuffer<float> _tanhBranch = new();
    private readonly GrowableBuffer<float> _sigmoidBranch = new();
    private readonly GrowableBuffer<float> _gated = new();
    private readonly GrowableBuffer<float> _tanhGradient = new();
    private readonly GrowableBuffer<float> _sigmoidGradient = new();
    private readonly GrowableBuffer<float> _featureGradient = new();
    private readonly GrowableBuffer<float> _attentionGradient = new();
    private readonly float[] _pooled;
    private readonly float[] _pooledGradient;

    private ReadOnlyMemory<float> _instances;
    private float[] _attention = [];
    private int _rows;

    public AbmilHead(MilHeadConfig config, Random rng)
        : base(config)
    {
        var featureDim = config.EncoderDim > 0 ? config.EncoderDim : config.InputDim;
        if (config.EncoderDim > 0)
            _encoder = new InstanceEncoder(AddDense("encoder", config.InputDim, config.EncoderDim, LayerInit.Kaiming, rng), config.Dropout);
        _attentionV = AddDense("attention.V", featureDim, config.AttentionDim, LayerInit.Xavier, rng);
        _attentionU = AddDense("attention.U", featureDim, config.AttentionDim, LayerInit.Xavier, rng);
        _attentionW = AddParameter("attention.w.weight", 1, config.AttentionDim);
        ParameterInit.Initialize(_attentionW, config.AttentionDim, 1, LayerInit.Xavier, rng);
        _classifier = AddDense("classifier", featureDim, config.OutputCount, LayerInit.Xavier, rng);
        _pooled = new float[featureDim];
        _pooledGradient = new float[featureDim];
    }

    private int FeatureDim => _pooled.Length;

    private int AttentionDim => _attentionW.Values.Length;

    protected override void ForwardCore(ReadOnlyMemory<float> instances, int instanceCount, bool training, Random? rng,
        Span<float> outputs, Span<float> instanceScores)
    {
        _instances = instances;
        _rows = instanceCount;
        var features = Features(instanceCount, training, rng);
        var cells = instanceCount * AttentionDim;

        var tanhBranch = _tanhBranch.Take(cells);
        _attentionV.Forward(features, instanceCount, tanhBranch);
        TensorPrimitives.Tanh(tanhBranch, tanhBranch);
        var sigmoidBranch = _sigmoidBranch.Take(cells);
        _attentionU.Forward(features, instanceCount, sigmoidBranch);
        TensorPrimitives.Sigmoid(sigmoidBranch, sigmoidBranch);
        var gated = _gated.Take(cells);
        TensorPrimitives.Multiply(tanhBranch, sigmoidBranch, gated);

        // Raw attention scores into the output's score buffer, then softmax in place: those are the heatmap weights.
        Blas.Gemv(false, instanceCount, AttentionDim, 1f, gated, _attentionW.Values, 0f, instanceScores);
        TensorPrimitives.SoftMax(instanceScores, instanceScores);
        if (_attention.Length < instanceCount) _attention = new float[Math.Max(instanceCount, _attention.Length * 3 / 2)];
        instanceScores.CopyTo(_attention);

        Blas.Gemv(true, instanceCount, FeatureDim, 1f, features, instanceScores, 0f, _pooled);
        _classifier.Forward(_pooled, 1, outputs);
    }

    protected override void BackwardCore(ReadOnlySpan<float> outputGradient)
    {
        var rows = _rows;
        var cells = rows * AttentionDim;
        ReadOnlySpan<float> features = _encoder is null ? _instances.Span : _encoder.Activations;
        ReadOnlySpan<float> attention = _attention.AsSpan(0, rows);

        _classifier.Backward(_pooled, outputGradient, 1, _pooledGradient);

        // z = Hᵀa: dH = a dzᵀ (rank 1) and da = H dz.
        var featureGradient = _featureGradient.Take(rows * FeatureDim);
        Blas.Gemm(false, false, rows, FeatureDim, 1, 1f, attention, _pooledGradient, 0f, featureGradient);
        var scoreGradient = _attentionGradient.Take(rows);
        Blas.Gemv(false, rows, FeatureDim, 1f, features, _pooledGradient, 0f, scoreGradient);

        // Softmax backward: ds = a ⊙ (da − aᵀda).
        var mean = TensorPrimitives.Dot(attention, scoreGradient);
        TensorPrimitives.Subtract(scoreGradient, mean, scoreGradient);
        TensorPrimitives.Multiply(scoreGradient, attention, scoreGradient);

        // s = G w: dw += Gᵀ ds, dG = ds wᵀ (rank 1).
        Blas.Gemv(true, rows, AttentionDim, 1f, _gated.Take(cells), scoreGradient, 1f, _attentionW.Gradients);
        var tanhGradient = _tanhGradient.Take(cells);
        Blas.Gemm(false, false, rows, AttentionDim, 1, 1f, scoreGradient, _attentionW.Values, 0f, tanhGradient);

        // G = T ⊙ S: dT = dG ⊙ S, dS = dG ⊙ T, then through tanh and sigmoid.
        var tanhBranch = _tanhBranch.Take(cells);
        var sigmoidBranch = _sigmoidBranch.Take(cells);
        var sigmoidGradient = _sigmoidGradient.Take(cells);
        TensorPrimitives.Multiply(tanhGradient, tanhBranch, sigmoidGradient);
        TensorPrimitives.Multiply(tanhGradient, sigmoidBranch, tanhGradient);
        VectorMath.TanhBackward(tanhBranch, tanhGradient, tanhGradient);
        VectorMath.SigmoidBackward(sigmoidBranch, sigmoidGradient, sigmoidGradient);

        var needFeatureGradient = _encoder is not null;
        _attentionV.Backward(features, tanhGradient, rows, needFeatureGradient ? featureGradient : Span<float>.Empty, accumulateInputGradient: true);
        _attentionU.Backward(features, sigmoidGradient, rows, needFeatureGradient ? featureGradient : Span<float>.Empty, accumulateInputGradient: true);
        _encoder?.Backward(_instances.Span, featureGradient);
    }

    private ReadOnlySpan<float> Features(int rows, bool training, Random? rng) =>
        _encoder is null ? _instances.Span : _encoder.Forward(_instances.Span, rows, training, rng);
}
