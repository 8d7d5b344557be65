namespace Coffer.Sdk.Tests;

public class CofferSdkTests
{
    [Fact]
    public void ProtocolVersion_IsOne() => Assert.Equal(1, CofferSdk.ProtocolVersion);
}
