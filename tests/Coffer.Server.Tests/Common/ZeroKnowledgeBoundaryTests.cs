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
        Assert.False(File.Exists(Path.Combine(AppContext.BaseDirectory, "Coffer.Crypto.dll")),
            "Coffer.Crypto.dll was copied next to the server: something references it.");
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
