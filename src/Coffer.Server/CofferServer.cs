using System.Data.Common;
using System.Net;
using System.Reflection;
using Coffer.Contracts;
using Coffer.Server.Common.Authorization;
using Coffer.Server.Common.Configuration;
using Coffer.Server.Common.Data;
using Coffer.Server.Common.Data.Migrations;
using Coffer.Server.Common.Errors;
using Coffer.Server.Features.Account;
using Coffer.Server.Features.Audit;
using Coffer.Server.Features.Auth;
using Coffer.Server.Features.Benchmark;
using Coffer.Server.Features.Devices;
using Coffer.Server.Features.Groups;
using Coffer.Server.Features.Health;
using Coffer.Server.Features.Issuers;
using Coffer.Server.Features.Members;
using Coffer.Server.Features.Meta;
using Coffer.Server.Features.Mfa;
using Coffer.Server.Features.Operations;
using Coffer.Server.Features.Policies;
using Coffer.Server.Features.Revocations;
using Coffer.Server.Features.Sessions;
using Coffer.Server.Features.Setup;
using Coffer.Server.Features.StepUp;
using Coffer.Server.Features.Sync;
using Coffer.Server.Features.Vaults;
using Coffer.Server.Features.WebAuthnPage;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Coffer.Server;

/// <summary>Builds and runs the host: configuration, listening rules, errors, logging and the API.</summary>
internal static class CofferServer
{
    public const string DefaultUrl = "http://127.0.0.1:8080";

    public static string Version { get; } =
        typeof(CofferServer).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (AuditCommand.Matches(args))
        {
            return await RunCommandAsync(() => AuditCommand.RunAsync(args, Console.Out, Console.Error)).ConfigureAwait(false);
        }
        if (BackupCommand.Matches(args))
        {
            return await RunCommandAsync(() => BackupCommand.RunAsync(args, Console.Out, Console.Error, TimeProvider.System)).ConfigureAwait(false);
        }
        if (RestoreCommand.Matches(args))
        {
            return await RunCommandAsync(() => RestoreCommand.RunAsync(args, Console.Out, Console.Error, TimeProvider.System)).ConfigureAwait(false);
        }
        WebApplication app;
        try
        {
            app = Build(args);
        }
        catch (ConfigurationException e)
        {
            await Console.Error.WriteLineAsync("coffer-server: " + e.Message).ConfigureAwait(false);
            return 2;
        }
        try
        {
            await app.RunAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is MigrationException or DatabaseInUseException)
        {
            await Console.Error.WriteLineAsync("coffer-server: " + e.Message).ConfigureAwait(false);
            return 3;
        }
        catch (DbException e)
        {
            await Console.Error.WriteLineAsync("coffer-server: the database cannot be used: " + e.Message).ConfigureAwait(false);
            return 3;
        }
        return 0;
    }

    private static async Task<int> RunCommandAsync(Func<Task<int>> command)
    {
        try
        {
            return await command().ConfigureAwait(false);
        }
        catch (Exception e) when (e is ConfigurationException or InvalidOperationException or MigrationException or IOException)
        {
            await Console.Error.WriteLineAsync("coffer-server: " + e.Message).ConfigureAwait(false);
            return 2;
        }
        catch (DbException e)
        {
            await Console.Error.WriteLineAsync("coffer-server: the database cannot be used: " + e.Message).ConfigureAwait(false);
            return 2;
        }
    }

    /// <summary>Builds the application; tests call this with their own configuration.</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(args);
        builder.Configuration.AddEnvironmentVariables("COFFER_");
        builder.Configuration.AddCommandLine(args);
        ConfigureLogging(builder);
        configure?.Invoke(builder);

        CofferOptions options = new();
        builder.Configuration.GetSection(CofferOptions.Section).Bind(options);
        AuditRetention.Validate(options.Audit);
        SyslogExport.Validate(options.Audit.Syslog);
        builder.Services.AddSingleton(Options.Create(options));

        ConfigureListening(builder, options);

        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, CofferJsonContext.Default);
            o.SerializerOptions.UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow;
            o.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict;
            o.SerializerOptions.AllowTrailingCommas = false;
            o.SerializerOptions.ReadCommentHandling = System.Text.Json.JsonCommentHandling.Disallow;
        });
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = Problems.Customize);
        builder.Services.AddExceptionHandler<RedactingExceptionHandler>();
        // Before the database's own start-up work (migrations): a server never touches a database a restore is replacing.
        builder.Services.AddSingleton<ServerLockService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ServerLockService>());
        builder.Services.AddCofferDatabase(options);
        builder.Services.AddOpenApi("v1", o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Coffer API";
            document.Info.Version = "1";
            document.Info.Description = "Bodies of authenticated endpoints are shown in plaintext; on the wire they travel sealed by the session layer (PROTOCOL.md §6).";
            document.Servers?.Clear();
            return Task.CompletedTask;
        }));
        builder.Services.Configure<ForwardedHeadersOptions>(o => ConfigureForwardedHeaders(o, options));
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<SetupStore>();
        builder.Services.AddSingleton<SetupLink>();
        builder.Services.AddHostedService<SetupLinkService>();
        builder.Services.AddSingleton<AuthStore>();
        builder.Services.AddSingleton<AuthFailures>();
        builder.Services.AddSingleton<PolicyStore>();
        builder.Services.AddSingleton<MfaKey>();
        builder.Services.AddSingleton<MfaStore>();
        builder.Services.AddSingleton(SecurityKeyRelyingParty.FromOptions(options));
        builder.Services.TryAddSingleton<IWebAuthnChallenges, RandomWebAuthnChallenges>();
        builder.Services.AddSingleton<SecurityKeyStore>();
        builder.Services.AddSingleton<StepUpStore>();
        builder.Services.AddSingleton<StepUpGate>();
        builder.Services.AddSingleton<SessionStore>();
        builder.Services.AddSingleton<ISessionStore>(sp => sp.GetRequiredService<SessionStore>());
        builder.Services.AddSingleton<LiveSessions>();
        builder.Services.AddSingleton<AccountStore>();
        builder.Services.AddSingleton<PinsStore>();
        builder.Services.AddSingleton<CredentialStore>();
        builder.Services.AddSingleton<AccountMail>();
        builder.Services.AddSingleton<VaultStore>();
        builder.Services.AddSingleton<VaultChanges>();
        builder.Services.AddSingleton<AccountFeed>();
        builder.Services.AddHostedService<PostgresChangeListener>();
        builder.Services.AddHostedService<TombstonePurge>();
        builder.Services.AddSingleton<SyslogExport>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SyslogExport>());
        builder.Services.AddSingleton<AuditStore>();
        builder.Services.AddSingleton<AuditLog>();
        builder.Services.AddSingleton<AuditKeyCertificateStore>();
        builder.Services.AddSingleton<RestoreStore>();
        builder.Services.AddSingleton<InvitationStore>();
        builder.Services.AddSingleton<PermissionStore>();
        builder.Services.AddSingleton<Mailer>();
        builder.Services.AddSingleton<MemberStore>();
        builder.Services.AddSingleton<DeviceStore>();
        builder.Services.AddSingleton<NewDeviceMail>();
        builder.Services.AddSingleton<MemberCertificateStore>();
        builder.Services.AddSingleton<GroupStore>();
        builder.Services.AddSingleton<RevocationStore>();
        builder.Services.AddSingleton<IssuerStore>();
        builder.Services.AddSingleton<RecertificationStore>();
        builder.Services.AddSingleton<MemberDirectoryStore>();
        builder.Services.AddSingleton<MemberLifecycleStore>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AuditLog>());
        // After the log: it purges through the log's writer and records an override through it.
        builder.Services.AddHostedService<AuditRetention>();

        WebApplication app = builder.Build();
        app.UseForwardedHeaders();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseRouting();
        app.UseMiddleware<SessionLayerMiddleware>();
        app.MapErrorPages();
        app.MapHealthEndpoints();
        app.MapWebAuthnPage();
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapCofferApi();
        app.MapBareReadEndpoints(options);
        return app;
    }

    /// <summary>Mounts every feature under <c>/api/v1</c>.</summary>
    public static IEndpointRouteBuilder MapCofferApi(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder api = app.MapGroup("/api/v1");
        api.MapGroup("/meta").WithTags("Meta").MapMetaEndpoints();
        api.MapGroup("/setup").WithTags("Setup").MapSetupEndpoints();
        api.MapGroup("/auth").WithTags("Auth").MapAuthEndpoints().MapSignOut().MapStepUpEndpoints();
        api.MapGroup("/sessions").WithTags("Sessions").MapSessionEndpoints();
        api.MapGroup("/account").WithTags("Account").MapAccountEndpoints().MapCredentialEndpoints();
        api.MapGroup("/vaults").WithTags("Vaults").AddEndpointFilter<AuditedEndpointFilter>().AddEndpointFilter<ConfirmedMemberFilter>()
            .MapVaultEndpoints().MapItemUsageEndpoints();
        api.MapGroup("/events").WithTags("Sync").MapEventEndpoints();
        api.MapGroup("/audit").WithTags("Audit").AddEndpointFilter<ConfirmedMemberFilter>().MapAuditEndpoints();
        api.MapGroup("/members").WithTags("Members").AddEndpointFilter<ConfirmedMemberFilter>().MapMemberEndpoints().MapMemberDeviceEndpoints()
            .MapMemberCertificateEndpoints().MapMemberDirectoryEndpoints().MapMemberRecertifyEndpoints();
        api.MapGroup("/devices").WithTags("Devices").MapDeviceEndpoints();
        api.MapGroup("/groups").WithTags("Groups").AddEndpointFilter<ConfirmedMemberFilter>().MapGroupEndpoints().MapGroupRecertifyEndpoints();
        api.MapGroup("/revocations").WithTags("Revocations").AddEndpointFilter<ConfirmedMemberFilter>().MapRevocationEndpoints();
        api.MapGroup("/issuers").WithTags("Issuers").AddEndpointFilter<ConfirmedMemberFilter>().MapIssuerEndpoints().MapCertifiedEndpoints();
        api.MapGroup("/invitations").WithTags("Invitations").MapInvitationEndpoints();
        api.MapGroup("/policy").WithTags("Policy").AddEndpointFilter<ConfirmedMemberFilter>().MapPolicyEndpoints();
        api.MapGroup("/mfa").WithTags("Mfa").MapMfaEndpoints();
        return app;
    }

    private static void ConfigureListening(WebApplicationBuilder builder, CofferOptions options)
    {
        string urls = builder.Configuration["urls"] ?? builder.Configuration["ASPNETCORE_URLS"] ?? DefaultUrl;
        bool hasCertificate = !string.IsNullOrEmpty(options.Tls.CertificatePath);
        foreach (string url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal),
                    UriKind.Absolute, out Uri? uri))
            {
                throw new ConfigurationException($"'{url}' is not a URL to listen on.");
            }
            if (uri.Scheme == Uri.UriSchemeHttp && !IsLoopback(uri.Host))
            {
                throw new ConfigurationException(
                    $"Refusing to listen on {url} over plain HTTP: outside loopback Coffer needs TLS. " +
                    "Give it a certificate (Coffer:Tls:CertificatePath) and an https:// URL, or put it behind a TLS proxy on 127.0.0.1.");
            }
            if (uri.Scheme == Uri.UriSchemeHttps && !hasCertificate)
            {
                throw new ConfigurationException($"{url} is HTTPS but no certificate is configured (Coffer:Tls:CertificatePath).");
            }
        }
        builder.WebHost.UseUrls(urls);
        if (hasCertificate)
        {
            // The slim builder leaves out Kestrel's HTTPS address support: without this an https:// URL fails at start
            // (found by the CLI's end-to-end TLS test).
            builder.WebHost.UseKestrelHttpsConfiguration();
        }
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
            if (hasCertificate)
            {
                k.ConfigureHttpsDefaults(h => h.ServerCertificate = LoadCertificate(options.Tls));
            }
        });
    }

    private static System.Security.Cryptography.X509Certificates.X509Certificate2 LoadCertificate(TlsOptions tls)
    {
        string path = tls.CertificatePath!;
        return path.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".p12", StringComparison.OrdinalIgnoreCase)
            ? System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12FromFile(path, password: null)
            : System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(path, tls.KeyPath);
    }

    private static bool IsLoopback(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out IPAddress? ip) && IPAddress.IsLoopback(ip));

    private static void ConfigureLogging(WebApplicationBuilder builder)
    {
        // Structured JSON, one event a line. Our own log lines carry ids only; the framework's request
        // lines are kept at Warning so paths and headers are not logged by default.
        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(o =>
        {
            o.IncludeScopes = false;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            o.UseUtcTimestamp = true;
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // The framework's own line for an unhandled exception carries its message; ours (RedactingExceptionHandler) does not.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Diagnostics.ExceptionHandlerMiddleware", LogLevel.None);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);
    }

    private static void ConfigureForwardedHeaders(ForwardedHeadersOptions o, CofferOptions options)
    {
        o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
        // The framework trusts loopback by default; Coffer trusts exactly the configured proxies.
        o.KnownProxies.Clear();
        o.KnownIPNetworks.Clear();
        foreach (string proxy in options.TrustedProxies)
        {
            if (proxy.Contains('/', StringComparison.Ordinal))
            {
                o.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(proxy));
            }
            else
            {
                o.KnownProxies.Add(IPAddress.Parse(proxy));
            }
        }
    }
}

/// <summary>A setting is wrong; the message says which and how to fix it.</summary>
internal sealed class ConfigurationException(string message) : Exception(message);
