using System.Text.Json;
using Coffer.Protocol.Audit;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Signatures;
using Coffer.Protocol.Tests.Signatures;

namespace Coffer.Protocol.Tests.Audit;

// PROTOCOL.md §11 (chain) and §5.2 (audit-event TBS); known answers in testdata/vectors/audit-chain.json.
public class AuditChainTests
{
    private const string Member = "019b76da-a805-7450-96e5-6b74bb935c2e";

    [Fact]
    public void ToBeSigned_Section11Vector_MatchesNodeTbs()
    {
        using JsonDocument doc = TestData.Json("vectors", "audit-chain.json");
        foreach (JsonElement e in doc.RootElement.GetProperty("events").EnumerateArray())
        {
            AuditEventTbs auditEvent = VectorFields.ToAuditEvent(e.GetProperty("fields"));
            Assert.Equal(e.GetProperty("tbs").GetString(), Convert.ToHexStringLower(auditEvent.ToBeSigned()));
        }
    }

    [Fact]
    public void Next_Section11Vector_MatchesEveryHash()
    {
        using JsonDocument doc = TestData.Json("vectors", "audit-chain.json");
        Sha256Hash previous = Sha256Hash.FromBytes(Convert.FromHexString(doc.RootElement.GetProperty("genesis").GetString()!));
        Assert.Equal(AuditChain.Genesis, previous);
        foreach (JsonElement e in doc.RootElement.GetProperty("events").EnumerateArray())
        {
            long seq = long.Parse(e.GetProperty("seq").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
            previous = AuditChain.Next(previous, seq, VectorFields.ToAuditEvent(e.GetProperty("fields")));
            Assert.Equal(e.GetProperty("hash").GetString(), previous.ToString());
        }
    }

    [Fact]
    public void Verify_Section11Vector_IsValidAndMatchesSignedCheckpoint()
    {
        List<AuditChainLink> links = LoadLinks(out AuditChainAnchor checkpoint);
        AuditChainResult result = AuditChain.Verify(links, checkpoints: [checkpoint]);

        Assert.True(result.IsValid);
        Assert.Null(result.FirstBadSeq);
        Assert.Equal(checkpoint, result.Head);
    }

    [Fact]
    public void Checkpoint_Section11Vector_SignatureVerifies()
    {
        using JsonDocument doc = TestData.Json("vectors", "audit-chain.json");
        JsonElement checkpoint = doc.RootElement.GetProperty("checkpoint");
        TbsRecord record = VectorFields.ToRecord("checkpoint", checkpoint.GetProperty("fields"));

        Assert.Equal(checkpoint.GetProperty("tbs").GetString(), Convert.ToHexStringLower(record.ToBeSigned()));
        Assert.True(EcdsaP256.Verify(
            Base64Url.Decode(checkpoint.GetProperty("spki").GetString()!),
            record.ToBeSigned(),
            Base64Url.Decode(checkpoint.GetProperty("signature").GetString()!)));
    }

    [Fact]
    public void Verify_EditedEvent_ReportsHashMismatchAtThatSeq()
    {
        List<AuditChainLink> links = LoadLinks(out _);
        AuditEventTbs original = links[1].Event;
        AuditEventTbs edited = new(
            original.Time, original.ActorMemberId, original.DeviceId, original.SessionId, original.Ip, original.Action,
            original.TargetKind, original.TargetId, "failure", original.DetailsHash);
        links[1] = links[1] with { Event = edited };

        AuditChainResult result = AuditChain.Verify(links);
        Assert.Equal(AuditChainFault.HashMismatch, result.Fault);
        Assert.Equal(2, result.FirstBadSeq);
        Assert.Equal(1, result.Head.Seq);
    }

    [Fact]
    public void Verify_EditedStoredHash_ReportsHashMismatch()
    {
        List<AuditChainLink> links = LoadLinks(out _);
        byte[] hash = links[2].Hash.ToArray();
        hash[0] ^= 1;
        links[2] = links[2] with { Hash = Sha256Hash.FromBytes(hash) };

        AuditChainResult result = AuditChain.Verify(links);
        Assert.Equal(AuditChainFault.HashMismatch, result.Fault);
        Assert.Equal(3, result.FirstBadSeq);
    }

    [Fact]
    public void Verify_DeletedEvent_ReportsSequenceBreakAtTheMissingSeq()
    {
        List<AuditChainLink> links = LoadLinks(out _);
        links.RemoveAt(1);

        AuditChainResult result = AuditChain.Verify(links);
        Assert.Equal(AuditChainFault.SequenceBreak, result.Fault);
        Assert.Equal(2, result.FirstBadSeq);
    }

    [Fact]
    public void Verify_ReorderedEvents_ReportsSequenceBreak()
    {
        List<AuditChainLink> links = LoadLinks(out _);
        (links[1], links[2]) = (links[2], links[1]);

        AuditChainResult result = AuditChain.Verify(links);
        Assert.Equal(AuditChainFault.SequenceBreak, result.Fault);
        Assert.Equal(2, result.FirstBadSeq);
    }

    [Fact]
    public void Verify_SwappedEventContents_ReportsHashMismatch()
    {
        // Moving events but keeping the seq column in order still breaks the hashes.
        List<AuditChainLink> links = LoadLinks(out _);
        (AuditEventTbs second, AuditEventTbs third) = (links[1].Event, links[2].Event);
        links[1] = links[1] with { Event = third };
        links[2] = links[2] with { Event = second };

        AuditChainResult result = AuditChain.Verify(links);
        Assert.Equal(AuditChainFault.HashMismatch, result.Fault);
        Assert.Equal(2, result.FirstBadSeq);
    }

    [Fact]
    public void Verify_DuplicatedEvent_ReportsSequenceBreak()
    {
        List<AuditChainLink> links = LoadLinks(out _);
        links.Insert(2, links[1]);

        AuditChainResult result = AuditChain.Verify(links);
        Assert.Equal(AuditChainFault.SequenceBreak, result.Fault);
        Assert.Equal(3, result.FirstBadSeq);
    }

    [Fact]
    public void Verify_TruncatedChain_IsValidAloneButFailsAgainstTheCheckpoint()
    {
        List<AuditChainLink> links = LoadLinks(out AuditChainAnchor checkpoint);
        links.RemoveAt(links.Count - 1);

        // A cut at the end leaves a self-consistent chain: only a known head hash reveals it.
        Assert.True(AuditChain.Verify(links).IsValid);
        AuditChainResult result = AuditChain.Verify(links, checkpoints: [checkpoint]);
        Assert.Equal(AuditChainFault.Truncated, result.Fault);
        Assert.Equal(4, result.FirstBadSeq);
        Assert.Equal(3, result.Head.Seq);
    }

    [Fact]
    public void Verify_ConsistentlyRewrittenChain_FailsAgainstTheCheckpoint()
    {
        // Whoever controls the database deletes event 2 and re-hashes everything after it (§11).
        List<AuditChainLink> links = LoadLinks(out AuditChainAnchor checkpoint);
        links.RemoveAt(1);
        List<AuditChainLink> rewritten = [];
        Sha256Hash previous = AuditChain.Genesis;
        for (int i = 0; i < links.Count; i++)
        {
            previous = AuditChain.Next(previous, i + 1, links[i].Event);
            rewritten.Add(new AuditChainLink(i + 1, links[i].Event, previous));
        }
        rewritten.Add(new AuditChainLink(4, rewritten[^1].Event, AuditChain.Next(previous, 4, rewritten[^1].Event)));

        Assert.True(AuditChain.Verify(rewritten).IsValid);
        AuditChainResult result = AuditChain.Verify(rewritten, checkpoints: [checkpoint]);
        Assert.Equal(AuditChainFault.CheckpointMismatch, result.Fault);
        Assert.Equal(4, result.FirstBadSeq);
    }

    [Fact]
    public void Verify_FromPurgeCheckpoint_ChecksOnlyTheRest()
    {
        List<AuditChainLink> links = LoadLinks(out AuditChainAnchor head);
        AuditChainAnchor cut = new(links[1].Seq, links[1].Hash);

        Assert.True(AuditChain.Verify(links.Skip(2), cut, [cut, head]).IsValid);
        AuditChainResult wrongStart = AuditChain.Verify(links.Skip(2), new AuditChainAnchor(2, links[0].Hash));
        Assert.Equal(AuditChainFault.HashMismatch, wrongStart.Fault);
        Assert.Equal(3, wrongStart.FirstBadSeq);
        AuditChainResult conflicting = AuditChain.Verify(links.Skip(2), cut, [new AuditChainAnchor(2, links[0].Hash)]);
        Assert.Equal(AuditChainFault.CheckpointMismatch, conflicting.Fault);
    }

    [Fact]
    public void Verify_EmptyChainWithCheckpoint_IsTruncatedFromSeqOne()
    {
        LoadLinks(out AuditChainAnchor head);
        AuditChainResult result = AuditChain.Verify([], checkpoints: [head]);
        Assert.Equal(AuditChainFault.Truncated, result.Fault);
        Assert.Equal(1, result.FirstBadSeq);
        Assert.True(AuditChain.Verify([]).IsValid);
    }

    [Fact]
    public void Next_InvalidArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => AuditChain.Next(AuditChain.Genesis, 0, []));
        Assert.Throws<ArgumentException>(() => AuditChain.Next(default, 1, []));
    }

    [Fact]
    public void ToBeSigned_AbsentValues_AreEmptyFields()
    {
        AuditEventTbs auditEvent = new(5, null, null, null, null, "auth.sign_in", null, null, "failure", null);
        List<string> fields = SignatureVectorTests.SplitFields(auditEvent.ToBeSigned(), AuditEventTbs.Tag);
        Assert.Equal(["5", "", "", "", "", "auth.sign_in", "", "", "failure", ""], fields);
    }

    [Theory]
    [InlineData("203.0.113.7")]
    [InlineData("2001:db8::7")]
    [InlineData("::1")]
    [InlineData("2001:db8:0:1:1:1:1:1")]
    [InlineData("2001:0:0:1::1")]
    [InlineData("2001:db8::1:0:0:1")]
    public void Constructor_CanonicalIp_Accepted(string ip) =>
        Assert.Equal(ip, new AuditEventTbs(1, null, null, null, ip, "a", null, null, "ok", null).Ip);

    // Expected values are Node.js 20's WHATWG URL serialisation of the same addresses (what a browser
    // or TypeScript client computes), except that an IPv4-mapped address is written as plain IPv4.
    [Theory]
    [InlineData("::ffff:1.2.3.4", "1.2.3.4")]
    [InlineData("::1.2.3.4", "::102:304")]
    [InlineData("1:0:0:2:0:0:0:3", "1:0:0:2::3")]
    [InlineData("1:0:0:2:0:0:3:4", "1::2:0:0:3:4")]
    [InlineData("0:0:0:0:0:0:0:0", "::")]
    [InlineData("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1")]
    [InlineData("FE80::0001", "fe80::1")]
    [InlineData("1::", "1::")]
    [InlineData("::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8")]
    [InlineData("1:2:3:4:5:6:7:0", "1:2:3:4:5:6:7:0")]
    [InlineData("192.0.2.10", "192.0.2.10")]
    public void FormatIp_Address_IsCanonicalAndAccepted(string input, string expected)
    {
        string text = AuditEventTbs.FormatIp(System.Net.IPAddress.Parse(input));
        Assert.Equal(expected, text);
        Assert.Equal(text, new AuditEventTbs(1, null, null, null, text, "a", null, null, "ok", null).Ip);
    }

    [Theory]
    [InlineData("0::102:304")]
    [InlineData("::1.2.3.4")]
    [InlineData("2001:DB8::7")]
    [InlineData("2001:db8:0:0:0:0:0:7")]
    [InlineData("2001:0db8::7")]
    [InlineData("203.0.113.07")]
    [InlineData("::ffff:203.0.113.7")]
    [InlineData("fe80::1%eth0")]
    [InlineData("")]
    [InlineData("localhost")]
    public void Constructor_NonCanonicalIp_Throws(string ip) =>
        Assert.Throws<ArgumentException>(() => new AuditEventTbs(1, null, null, null, ip, "a", null, null, "ok", null));

    [Fact]
    public void Constructor_MalformedFields_Throw()
    {
        Assert.Throws<ArgumentException>(() => new AuditEventTbs(1, Member.ToUpperInvariant(), null, null, null, "a", null, null, "ok", null));
        Assert.Throws<ArgumentException>(() => new AuditEventTbs(1, null, null, null, null, "Item.Update", null, null, "ok", null));
        Assert.Throws<ArgumentException>(() => new AuditEventTbs(1, null, null, null, null, "a", string.Empty, null, "ok", null));
        Assert.Throws<ArgumentException>(() => new AuditEventTbs(1, null, null, null, null, "a", null, "item-1", "ok", null));
        Assert.Throws<ArgumentException>(() => new AuditEventTbs(1, null, null, null, null, "a", null, null, "ok", default(Sha256Hash)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AuditEventTbs(-1, null, null, null, null, "a", null, null, "ok", null));
    }

    private static List<AuditChainLink> LoadLinks(out AuditChainAnchor checkpoint)
    {
        using JsonDocument doc = TestData.Json("vectors", "audit-chain.json");
        List<AuditChainLink> links = [];
        foreach (JsonElement e in doc.RootElement.GetProperty("events").EnumerateArray())
        {
            links.Add(new AuditChainLink(
                TbsFields.ParseNumber(e.GetProperty("seq").GetString()!),
                VectorFields.ToAuditEvent(e.GetProperty("fields")),
                Sha256Hash.FromBytes(Convert.FromHexString(e.GetProperty("hash").GetString()!))));
        }
        JsonElement fields = doc.RootElement.GetProperty("checkpoint").GetProperty("fields");
        checkpoint = new AuditChainAnchor(
            TbsFields.ParseNumber(fields.GetProperty("seq").GetString()!),
            Sha256Hash.FromBytes(Base64Url.Decode(fields.GetProperty("chainHash").GetString()!)));
        return links;
    }
}
