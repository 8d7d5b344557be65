namespace Coffer.Server.Common.Configuration;

/// <summary>
/// The settings of a <c>coffer-server &lt;command&gt;</c> that runs without the web host, read as the server reads
/// them: <c>appsettings.json</c>, <c>COFFER_</c> environment variables, then flags (<c>--Coffer:DataDirectory=…</c>).
/// </summary>
internal static class CommandSettings
{
    public static CofferOptions Load(string[] flags)
    {
        ArgumentNullException.ThrowIfNull(flags);
        IConfigurationRoot configuration = new ConfigurationBuilder()
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables("COFFER_")
            .AddCommandLine(flags)
            .Build();
        CofferOptions options = new();
        configuration.GetSection(CofferOptions.Section).Bind(options);
        return options;
    }
}
