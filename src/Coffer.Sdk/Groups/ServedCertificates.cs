using System.Globalization;
using Coffer.Contracts.Groups;
using Coffer.Contracts.Keys;
using Coffer.Crypto.Provenance;
using Coffer.Protocol.Signatures;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Wire;

namespace Coffer.Sdk.Groups;

/// <summary>
/// Verifies member and group certificates the server served beside their issuer certificates, from the organisation
/// trust an unlock established (pinned root, newest revocation list) and against the account's pins (PROTOCOL.md §5.1,
/// docs/adr/0005). Nothing fetched is wrapped to before it passes here.
/// </summary>
internal sealed class ServedCertificates
{
    private readonly OrganisationTrust _trust;
    private readonly Pins _pins;
    private readonly Dictionary<string, List<IssuerCertificate>> _issuers = new(StringComparer.Ordinal);

    public ServedCertificates(UnlockedAccount account, IReadOnlyList<IssuerCertificateDto>? issuers)
    {
        _trust = account.Trust;
        _pins = account.Pins;
        IReadOnlyList<IssuerCertificateDto> served = issuers ?? throw new CofferProtocolException("The server's answer lacks the issuer certificates.");
        for (int i = 0; i < served.Count; i++)
        {
            IssuerCertificate certificate = WireMapper.ToIssuerCertificate(served[i], _trust.OrgId,
                string.Create(CultureInfo.InvariantCulture, $"issuer certificate #{i + 1}"));
            if (!_issuers.TryGetValue(certificate.Record.IssuerId, out List<IssuerCertificate>? list))
            {
                _issuers[certificate.Record.IssuerId] = list = [];
            }
            list.Add(certificate);
        }
    }

    /// <summary>A member's certificate: chained to the root, not revoked, naming the member asked for, consistent with the pins.</summary>
    public (MemberCertificate Certificate, IssuerCertificate Issuer) Member(SubjectCertificateDto? dto, string memberId)
    {
        string subject = "the certificate of member " + memberId;
        MemberCertificate certificate = WireMapper.ToMemberCertificate(dto, _trust.OrgId, subject);
        if (!string.Equals(certificate.Record.MemberId, memberId, StringComparison.Ordinal))
        {
            throw new ProvenanceException(ProvenanceFailure.Mismatch, subject + " (it names another member)");
        }
        IssuerCertificate issuer = Issued(certificate.Record.IssuerId, c => _trust.VerifyMember(certificate, c), subject);
        MemberCertTbs r = certificate.Record;
        if (_pins.CheckSubjectKeys(memberId, new PinnedKeys(r.EncFpr.ToArray(), r.SigFpr.ToArray(), checked((int)r.KeysetSerial))) == PinCheck.Conflict)
        {
            throw new ProvenanceException(ProvenanceFailure.Mismatch,
                "the keys of member " + memberId + " (they differ from the keys this device verified before, and no verified key change explains it)");
        }
        return (certificate, issuer);
    }

    /// <summary>A group's certificate: chained to the root, not revoked, naming the group asked for; a pinned older key only through its successions.</summary>
    public GroupCertificate Group(SubjectCertificateDto? dto, string groupId, IReadOnlyList<GroupSuccessionDto>? history)
    {
        string subject = "the certificate of group " + groupId;
        GroupCertificate certificate = WireMapper.ToGroupCertificate(dto, _trust.OrgId, subject);
        if (!string.Equals(certificate.Record.GroupId, groupId, StringComparison.Ordinal))
        {
            throw new ProvenanceException(ProvenanceFailure.Mismatch, subject + " (it names another group)");
        }
        _ = Issued(certificate.Record.IssuerId, c => _trust.VerifyGroup(certificate, c), subject);
        List<GroupSuccession> successions = [];
        IReadOnlyList<GroupSuccessionDto> served = history ?? [];
        for (int i = 0; i < served.Count; i++)
        {
            successions.Add(WireMapper.ToGroupSuccession(served[i], _trust.OrgId, string.Create(CultureInfo.InvariantCulture, $"group succession #{i + 1}")));
        }
        GroupPins.Check(_pins, certificate, successions, "the keys of group " + groupId);
        return certificate;
    }

    /// <summary>The issuer certificate under which a group certificate <see cref="Group"/> accepted verifies.</summary>
    public IssuerCertificate IssuerOf(GroupCertificate certificate) =>
        Issued(certificate.Record.IssuerId, c => _trust.VerifyGroup(certificate, c), "the certificate of group " + certificate.Record.GroupId);

    /// <summary>The issuer certificate, among those served for the id, under which <paramref name="verify"/> passes.</summary>
    private IssuerCertificate Issued(string issuerId, Func<IssuerCertificate, ProvenanceFailure> verify, string subject)
    {
        ProvenanceFailure failure = ProvenanceFailure.WrongSigner;
        foreach (IssuerCertificate candidate in _issuers.GetValueOrDefault(issuerId) ?? [])
        {
            ProvenanceFailure result = verify(candidate);
            if (result == ProvenanceFailure.None)
            {
                return candidate;
            }
            // A failure found on a presented certificate says more than "no such issuer"; "expired" says least.
            failure = failure == ProvenanceFailure.WrongSigner || (failure == ProvenanceFailure.Expired && result != ProvenanceFailure.WrongSigner)
                ? result
                : failure;
        }
        throw new ProvenanceException(failure, subject);
    }
}
