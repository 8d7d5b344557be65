using System.Data.Common;
using System.Text;
using Coffer.Contracts.Auth;
using Coffer.Crypto.Accounts;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Errors;
using Coffer.Server.Common.Data;
using Coffer.Server.Tests.Common;
using Coffer.Server.Tests.Common.Data;
using Dapper;
using Microsoft.Extensions.Logging;

namespace Coffer.Server.Tests.Features.ZeroKnowledge;

/// <summary>
/// ARCHITECTURE.md principle 1, checked from the outside: after a scenario with canary secrets, neither
/// the whole database nor any log line holds a password or a Secret Key, and no log line holds an email.
/// </summary>
public class ZeroKnowledgeTests
{
    [Theory, BothEngines]
    public async Task CanarySecrets_NeverReachTheDatabaseOrTheLogs(Engine engine)
    {
        CapturedLogs logs = new();
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine, configure: b => b.Logging.AddProvider(logs));
        using SignInResult owner = await org.SignInOwnerAsync();
        string canaryPassword = "CANARY-password-" + Guid.NewGuid().ToString("N");
        await Assert.ThrowsAsync<CofferApiException>(() => org.SignInOwnerAsync(password: canaryPassword));
        using SecretKey wrongKey = SecretKey.Generate(TestOrganisation.Setup.SecretKey.AccountId);
        await Assert.ThrowsAsync<CofferApiException>(() => SignIn.SignInAsync(org.Connection, "canary.person@example.org", canaryPassword, wrongKey,
            "0190a1b2-0000-7000-8000-00000000c0de", new DeviceInfoDto("n", "p", "1"), TestOrganisation.Policy));

        string[] secrets =
        [
            TestOrganisation.Password, canaryPassword,
            TestOrganisation.Setup.SecretKey.Format(), Encoding.ASCII.GetString(TestOrganisation.Setup.SecretKey.SecretAscii),
            wrongKey.Format(),
        ];
        string database = await DumpAsync(org.Database.Database);
        Assert.Contains(TestOrganisation.OwnerEmail, database, StringComparison.Ordinal);   // the dump is real: the email is stored, as it should be
        foreach (string secret in secrets)
        {
            Assert.DoesNotContain(secret, database, StringComparison.OrdinalIgnoreCase);
        }
        Assert.NotEmpty(logs.Lines);
        string allLogs = string.Join('\n', logs.Lines);
        foreach (string secret in secrets.Append(TestOrganisation.OwnerEmail).Append("canary.person@example.org"))
        {
            Assert.DoesNotContain(secret, allLogs, StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>Every value of every table, as text: strings as they are, bytes as UTF-8, base64 and hex.</summary>
    internal static async Task<string> DumpAsync(IDatabase database)
    {
        await using DbConnection c = await database.OpenAsync(CancellationToken.None);
        string tablesSql = database.Engine == DatabaseEngine.Sqlite
            ? "SELECT name FROM sqlite_master WHERE type = 'table'"
            : "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'";
        StringBuilder dump = new();
        foreach (string table in await c.QueryAsync<string>(tablesSql))
        {
            foreach (IDictionary<string, object> row in (await c.QueryAsync($"SELECT * FROM \"{table}\"")).Cast<IDictionary<string, object>>())
            {
                foreach (object? value in row.Values)
                {
                    dump.Append(value switch
                    {
                        byte[] b => Encoding.UTF8.GetString(b) + " " + Convert.ToBase64String(b) + " " + Convert.ToHexString(b),
                        null => "",
                        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture),
                    }).Append('\n');
                }
            }
        }
        return dump.ToString();
    }
}
