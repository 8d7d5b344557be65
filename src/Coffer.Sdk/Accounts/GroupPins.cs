using Coffer.Crypto.Provenance;
using Coffer.Protocol.Signatures;
using Coffer.Sdk.Errors;

namespace Coffer.Sdk.Accounts;

/// <summary>
/// Pinning a group's certified keys (PROTOCOL.md §5.1). A group key changes at every removal from the group, so a
/// different key at a higher serial is accepted when an unbroken chain of succession signatures — each serial's
/// certificate signed by the group signing key of the serial before — leads from the pinned keys to it
/// (docs/adr/0010). Anything else (other keys at the pinned serial, a lower serial, a broken chain) is refused.
/// </summary>
internal static class GroupPins
{
    /// <exception cref="ProvenanceException">The keys contradict the pin and no succession explains it.</exception>
    public static void Check(Pins pins, GroupCertificate certificate, IEnumerable<GroupSuccession> history, string what)
    {
        GroupCertTbs r = certificate.Record;
        PinnedKeys current = new(r.EncFpr.ToArray(), r.SigFpr.ToArray(), checked((int)r.KeysetSerial));
        if (pins.CheckSubjectKeys(r.GroupId, current) != PinCheck.Conflict)
        {
            return;
        }
        PinnedKeys pinned = pins.SubjectKeys(r.GroupId)!;
        ProvenanceFailure chain = GroupKeySuccession.VerifyChain(pinned, certificate, history);
        if (chain != ProvenanceFailure.None || pins.ReplaceSubjectKeys(r.GroupId, current) == PinCheck.Conflict)
        {
            throw new ProvenanceException(ProvenanceFailure.Mismatch,
                what + " (they differ from the keys this device verified before, and no succession signed by the earlier group key leads to them)");
        }
    }
}
