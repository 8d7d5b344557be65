using System.Reflection;
using Coffer.Server.Common.Data;
using Xunit.Sdk;

namespace Coffer.Server.Tests.Common.Data;

/// <summary>The engine a test runs on (public, as xunit's theory parameters must be; the server's own enum is internal).</summary>
public enum Engine
{
    Sqlite,
    Postgres,
}

/// <summary>
/// Runs a theory once per engine, as every store test must (bitwarden's <c>DatabaseDataAttribute</c>):
/// <code>
/// [Theory, BothEngines]
/// public async Task Something_Condition_Result(Engine engine)
/// {
///     await using TestDatabase db = await TestDatabase.CreateAsync(engine);
///     … db.Database is a migrated, empty IDatabase of its own …
/// }
/// </code>
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class BothEnginesAttribute : DataAttribute
{
    public override IEnumerable<object[]> GetData(MethodInfo testMethod) => [[Engine.Sqlite], [Engine.Postgres]];
}

internal static class EngineExtensions
{
    public static DatabaseEngine ToDatabaseEngine(this Engine engine) => engine switch
    {
        Engine.Sqlite => DatabaseEngine.Sqlite,
        Engine.Postgres => DatabaseEngine.Postgres,
        _ => throw new ArgumentOutOfRangeException(nameof(engine)),
    };
}
