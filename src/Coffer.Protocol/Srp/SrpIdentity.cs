namespace Coffer.Protocol.Srp;

/// <summary>The SRP identity I: for Coffer the member id, hashed as its ASCII bytes (PROTOCOL.md §3).</summary>
internal static class SrpIdentity
{
    internal static byte[] Encode(string identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        if (!System.Text.Ascii.IsValid(identity))
        {
            // Encoding.ASCII would silently turn other characters into '?', and two ids would collide.
            throw new ArgumentException("The SRP identity must be ASCII.", nameof(identity));
        }
        return System.Text.Encoding.ASCII.GetBytes(identity);
    }
}
