using System.Globalization;

namespace Coffer.Protocol.Signatures;

/// <summary>
/// One entry of a revocation list (PROTOCOL.md §5.2, <c>revocation</c>), written in the TBS as the
/// ASCII field <c>&lt;certKind&gt;:&lt;subjectId&gt;:&lt;keysetSerial&gt;</c>. An issuer entry revokes the
/// issuer id as a whole and carries serial 0; a member or group entry revokes the certificate of one
/// keyset serial (docs/adr/0004).
/// </summary>
public sealed record RevocationEntry
{
    /// <summary>Checks the entry.</summary>
    /// <param name="certKind"><see cref="CertKinds"/>: <c>issuer</c>, <c>member</c> or <c>group</c>.</param>
    /// <param name="subjectId">The issuer, member or group id.</param>
    /// <param name="keysetSerial">The revoked keyset serial; 0 for an issuer.</param>
    /// <exception cref="ArgumentException">Unknown kind, malformed id, negative serial, or an issuer entry with a serial other than 0.</exception>
    public RevocationEntry(string certKind, string subjectId, long keysetSerial)
    {
        CertKind = TbsFields.OneOf(certKind, nameof(certKind), CertKinds.Issuer, CertKinds.Member, CertKinds.Group);
        SubjectId = TbsFields.Id(subjectId, nameof(subjectId));
        KeysetSerial = TbsFields.Number(keysetSerial, nameof(keysetSerial));
        if (CertKind == CertKinds.Issuer && keysetSerial != 0)
        {
            throw new ArgumentException("An issuer revocation names no keyset: its serial is 0.", nameof(keysetSerial));
        }
    }

    /// <summary><see cref="CertKinds"/>: <c>issuer</c>, <c>member</c> or <c>group</c>.</summary>
    public string CertKind { get; }

    /// <summary>The issuer, member or group id.</summary>
    public string SubjectId { get; }

    /// <summary>The revoked keyset serial; 0 for an issuer.</summary>
    public long KeysetSerial { get; }

    /// <summary>Parses the field text <c>&lt;certKind&gt;:&lt;subjectId&gt;:&lt;keysetSerial&gt;</c> exactly (no spaces, no leading zeros).</summary>
    /// <exception cref="FormatException">Not exactly three parts, or a malformed part.</exception>
    public static RevocationEntry Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] parts = text.Split(':');
        if (parts.Length != 3 || !TbsFields.TryParseNumber(parts[2], out long serial))
        {
            throw new FormatException("A revocation entry is <certKind>:<subjectId>:<keysetSerial>.");
        }
        try
        {
            return new RevocationEntry(parts[0], parts[1], serial);
        }
        catch (ArgumentException e)
        {
            throw new FormatException("A revocation entry is <certKind>:<subjectId>:<keysetSerial>.", e);
        }
    }

    /// <summary>The entry's TBS field text, e.g. <c>member:0190…:3</c>.</summary>
    public string ToFieldText() =>
        string.Create(CultureInfo.InvariantCulture, $"{CertKind}:{SubjectId}:{KeysetSerial}");
}
