using PathoFed.Mil.Numerics;

namespace PathoFed.Mil.Heads.MeanPool;

/// <summary>Baseline: h_i = dropout(ReLU(W₁x_i + b₁)), z = mean_i h_i, output = W_c z + b_c.</summary>
internal sealed class MeanPoolHead : MilHeadBase
{
    private readonly InstanceEncoder _encoder;
    private readonly DenseLayer _classifier;
    private readonly GrowableBuffer<float> _featureGradient = new();
    private readonly float[] _pooled;
    private readonly float[] _pooledGradient;
    private ReadOnlyMemory<float> _instances;
    private int _rows;

    public MeanPoolHead(MilHeadConfig config, Random rng)
        : base(config)
    {
        _encoder = new InstanceEncoder(AddDense("encoder", config.InputDim, config.EncoderDim, LayerInit.Kaiming, rng), config.Dropout);
        _classifier = AddDense("classifier", config.EncoderDim, config.OutputCount, LayerInit.Xavier, rng);
        _pooled = new float[config.EncoderDim];
        _pooledGradient = new float[config.EncoderDim];
    }

    protected override void ForwardCore(ReadOnlyMemory<float> instances, int instanceCount, bool training, Random? rng,
        Span<float> outputs, Span<float> instanceScores)
    {
        _instances = instances;
        _rows = instanceCount;
        var features = _encoder.Forward(instances.Span, instanceCount, training, rng);
        var weight = 1f / instanceCount;
        Blas.Gemv(true, instanceCount, _pooled.Length, weight, features, Ones.Take(instanceCount), 0f, _pooled);
        _classifier.Forward(_pooled, 1, outputs);
        instanceScores.Fill(weight);
    }

    protected override void BackwardCore(ReadOnlySpan<float> outputGradient)
    {
        _classifier.Backward(_pooled, outputGradient, 1, _pooledGradient);
        // z = Hᵀ1/n, so dH = (1/n) 1 dzᵀ: a rank-1 product.
        var featureGradient = _featureGradient.Take(_rows * _pooled.Length);
        Blas.Gemm(false, false, _rows, _pooled.Length, 1, 1f / _rows, Ones.Take(_rows), _pooledGradient, 0f, featureGradient);
        _encoder.Backward(_instances.Span, featureGradient);
    }
}
