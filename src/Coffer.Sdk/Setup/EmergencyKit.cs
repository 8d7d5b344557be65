using System.Text;
using Coffer.Protocol.Signatures;

namespace Coffer.Sdk.Setup;

/// <summary>
/// The Emergency Kit (PROTOCOL.md §1, §5.1): what a person needs, besides their password, to sign
/// in on a new device and to recognise their organisation — sign-in address, email, Secret Key,
/// account id and the organisation fingerprint. It never holds the password; the printed form
/// has a line to write it on. <see cref="ToString"/> hides the Secret Key, so logging a kit by
/// mistake leaks nothing.
/// </summary>
public sealed class EmergencyKit
{
    /// <summary>Creates a kit.</summary>
    /// <param name="organisationName">The organisation's display name.</param>
    /// <param name="signInAddress">The server's address.</param>
    /// <param name="email">The person's sign-in email.</param>
    /// <param name="secretKey">The Secret Key in its display form (<c>C1-…</c>).</param>
    /// <param name="accountId">The organisation's account id.</param>
    /// <param name="organisationFingerprint">The organisation fingerprint.</param>
    public EmergencyKit(string organisationName, Uri signInAddress, string email, string secretKey, string accountId,
        Fingerprint organisationFingerprint)
    {
        ArgumentNullException.ThrowIfNull(organisationName);
        ArgumentNullException.ThrowIfNull(signInAddress);
        ArgumentNullException.ThrowIfNull(email);
        ArgumentNullException.ThrowIfNull(secretKey);
        ArgumentNullException.ThrowIfNull(accountId);
        if (organisationFingerprint.IsDefault)
        {
            throw new ArgumentException("The organisation fingerprint is required.", nameof(organisationFingerprint));
        }
        OrganisationName = organisationName;
        SignInAddress = signInAddress;
        Email = email;
        SecretKey = secretKey;
        AccountId = accountId;
        OrganisationFingerprint = organisationFingerprint;
    }

    /// <summary>The organisation's display name.</summary>
    public string OrganisationName { get; }

    /// <summary>The server's address.</summary>
    public Uri SignInAddress { get; }

    /// <summary>The sign-in email.</summary>
    public string Email { get; }

    /// <summary>The Secret Key, display form. Secret: keep it out of logs.</summary>
    public string SecretKey { get; }

    /// <summary>The organisation's account id.</summary>
    public string AccountId { get; }

    /// <summary>The organisation fingerprint.</summary>
    public Fingerprint OrganisationFingerprint { get; }

    /// <summary>The organisation fingerprint in its display form (13 groups of 4).</summary>
    public string OrganisationFingerprintDisplay => OrganisationFingerprint.ToDisplayString();

    /// <summary>Renders the kit as a plain-text document to print or save (LF line endings).</summary>
    public string ToText()
    {
        StringBuilder text = new();
        text.Append("COFFER EMERGENCY KIT\n");
        text.Append("====================\n\n");
        text.Append("Print this page and keep it somewhere safe. With it and your account password\n");
        text.Append("you can sign in on a new device. Anyone who has this page and your password\n");
        text.Append("can open your account: keep them apart.\n\n");
        text.Append("Organisation:       ").Append(OrganisationName).Append('\n');
        text.Append("Sign-in address:    ").Append(SignInAddress.OriginalString).Append('\n');
        text.Append("Email:              ").Append(Email).Append('\n');
        text.Append("Account id:         ").Append(AccountId).Append('\n');
        text.Append("Secret Key:         ").Append(SecretKey).Append('\n');
        text.Append('\n');
        text.Append("Organisation fingerprint (your devices check the organisation against it;\n");
        text.Append("compare it whenever a device shows it to you):\n");
        text.Append("    ").Append(OrganisationFingerprintDisplay).Append('\n');
        text.Append('\n');
        text.Append("Account password (write it here only if your organisation's policy allows it):\n\n");
        text.Append("    ____________________________________________________________\n");
        return text.ToString();
    }

    /// <inheritdoc/>
    public override string ToString() => $"EmergencyKit({Email}, {AccountId}, Secret Key hidden)";
}
