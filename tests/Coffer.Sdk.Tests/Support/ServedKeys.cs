using Coffer.Contracts.Keys;
using Coffer.Contracts.Setup;

namespace Coffer.Sdk.Tests.Support;

/// <summary>What an honest server would answer to the first Owner's <c>GET /api/v1/account/keys</c> after setup.</summary>
public static class ServedKeys
{
    public static AccountKeysResponse For(SetupRequest setup) => new(
        new MemberSummaryDto(setup.Owner.MemberId, setup.Owner.Email, setup.Owner.Name, "active"),
        setup.Owner.Keyset,
        setup.Owner.Certificate,
        setup.Organisation.Root,
        [setup.Owner.Issuer],
        setup.Organisation.RevocationList,
        setup.Groups,
        setup.Wraps,
        [setup.Owner.Certificate],
        setup.Owner.SealedIssuerKey,
        setup.Organisation.SealedRootKey,
        []);
}
