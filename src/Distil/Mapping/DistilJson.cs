using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Distil;

/// <summary>
/// The types Distil itself writes and reads as JSON, with source-generated serialization: no
/// reflection, so the libraries stay trimming- and NativeAOT-safe.
/// </summary>
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(JsonObject))]
[JsonSerializable(typeof(OfflineBatchResult))]
internal sealed partial class DistilJson : JsonSerializerContext;
