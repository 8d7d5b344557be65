namespace Coffer.Sdk;

/// <summary>Facts about this SDK build.</summary>
public static class CofferSdk
{
    /// <summary>The protocol version this SDK speaks.</summary>
    public const int ProtocolVersion = 1;

    /// <summary>The SDK's version, sent as the client version of a device.</summary>
    public static string Version { get; } =
        typeof(CofferSdk).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}
