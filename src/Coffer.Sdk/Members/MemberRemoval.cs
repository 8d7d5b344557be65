using Coffer.Contracts.Members;
using Coffer.Sdk.Issuers;

namespace Coffer.Sdk.Members;

/// <summary>A removal with the retirement of the member's issuers (<see cref="MemberDirectory.RemoveAndRetireAsync"/>).</summary>
/// <param name="Removal">The server's answer to the removal: what the member could read, for rotation.</param>
/// <param name="Retirement">The retirement of their issuers; null when they held none.</param>
public sealed record MemberRemoval(MemberLifecycleResponse Removal, IssuerRetirement? Retirement);
