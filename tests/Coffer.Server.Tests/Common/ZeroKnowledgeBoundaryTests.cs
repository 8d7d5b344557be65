using System.Reflection;
using System.Xml.Linq;

namespace Coffer.Server.Tests.Common;

/// <summary>ARCHITECTURE.md principle 1: the server holds no code that could open a keyset, a vault key or an item.</summary>
public class ZeroKnowledgeBoundaryTests
{
    [Fact]
    public void ServerAssembly_NeverReferencesCofferCrypto()
    {
        AssemblyName[] references = typeof(CofferServer).Assembly.GetReferencedAssemblies();
        Assert.Contains(references, r => r.Name == "Coffer.Contracts");
        Assert.DoesNotContain(references, r => r.Name == "Coffer.Crypto" || r.Name == "Coffer.Sdk");
        // The server's own build output (not this test's, which references the SDK) holds no Crypto.
        string serverDeps = Path.Combine(Path.GetDirectoryName(typeof(CofferServer).Assembly.Location)!, "Coffer.Server.deps.json");
        Assert.True(File.Exists(serverDeps), serverDeps);
        Assert.DoesNotContain("Coffer.Crypto", File.ReadAllText(serverDeps), StringComparison.Ordinal);
    }

    [Fact]
    public void ServerProject_ReferencesOnlyProtocolAndContracts()
    {
        XDocument project = XDocument.Load(Path.Combine(TestData.RepoRoot, "src", "Coffer.Server", "Coffer.Server.csproj"));
        string[] references = project.Descendants("ProjectReference")
            .Select(e => Path.GetFileNameWithoutExtension(e.Attribute("Include")!.Value.Replace('\\', '/'))).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["Coffer.Contracts", "Coffer.Protocol"], references);
    }
}
