using Google.Protobuf.Reflection;
using PathoFed.Federation.Transport;

namespace PathoFed.Federation.Tests.Transport;

/// <summary>
/// Everything a site can send is declared in federation.proto. This pins that surface: a new field fails here until
/// someone has checked that it cannot carry slide pixels, patch embeddings or labels and added it below.
/// </summary>
public sealed class PayloadSurfaceTests
{
    /// <summary>Site-to-coordinator fields and why each is safe.</summary>
    private static readonly Dictionary<string, string> Allowed = new()
    {
        ["JoinRequest.pathofed_version:String"] = "software version",
        ["JoinRequest.extractor_id:String"] = "which public extractor the features come from",
        ["JoinRequest.extractor_sha256:String"] = "hash of the extractor model",
        ["JoinRequest.embedding_dim:Int32"] = "width of the head's input",
        ["TaskRequest.wait_ms:Int32"] = "long-poll duration",
        ["UpdateRequest.round:Int32"] = "round id",
        ["UpdateRequest.nonce:Bytes"] = "the coordinator's own nonce, echoed",
        ["UpdateRequest.weights:Bytes"] = "model parameters (safetensors), validated against the global model's names and shapes",
        ["UpdateRequest.example_count:Int32"] = "number of bags trained on",
        ["UpdateRequest.metrics:Message"] = "named scalar validation metrics (map<string,double>)",
        ["SecureAggregationMessage.round:Int32"] = "round id",
        ["SecureAggregationMessage.stage:Int32"] = "protocol stage",
        ["SecureAggregationMessage.nonce:Bytes"] = "the coordinator's own nonce, echoed",
        ["SecureAggregationMessage.payload:Bytes"] = "public keys, encrypted key shares, masked parameter vectors, unmasking shares",
    };

    [Fact]
    public void SiteToCoordinatorMessages_HoldOnlyReviewedFields()
    {
        MessageDescriptor[] sent = [JoinRequest.Descriptor, TaskRequest.Descriptor, UpdateRequest.Descriptor, SecureAggregationMessage.Descriptor];

        string[] fields = sent.SelectMany(m => m.Fields.InDeclarationOrder().Select(f => $"{m.Name}.{f.Name}:{f.FieldType}")).Order().ToArray();

        Assert.Equal(Allowed.Keys.Order(), fields);
    }

    [Fact]
    public void Service_SiteCallsTakeOnlyThoseMessages()
    {
        ServiceDescriptor service = FederationReflection.Descriptor.Services.Single();

        Assert.Equal(
            ["JoinRequest", "SecureAggregationMessage", "TaskRequest", "UpdateRequest"],
            service.Methods.Select(m => m.InputType.Name).Order());
    }
}
