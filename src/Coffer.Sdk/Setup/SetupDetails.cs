namespace Coffer.Sdk.Setup;

/// <summary>What the first Owner types at first run (ARCHITECTURE.md, Flows: First run). Nothing here is secret.</summary>
/// <param name="OrganisationName">The organisation's display name.</param>
/// <param name="OwnerEmail">The first Owner's email: their sign-in handle.</param>
/// <param name="OwnerName">The first Owner's display name.</param>
/// <param name="SignInAddress">The server's address, printed on the Emergency Kit.</param>
public sealed record SetupDetails(string OrganisationName, string OwnerEmail, string OwnerName, Uri SignInAddress);
