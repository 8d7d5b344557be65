using System.Text.Json.Serialization;

namespace Coffer.Cli.State;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AccountsFile))]
internal sealed partial class StateJsonContext : JsonSerializerContext;
