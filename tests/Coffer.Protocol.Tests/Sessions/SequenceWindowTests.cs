using Coffer.Protocol.Sessions;

namespace Coffer.Protocol.Tests.Sessions;

public class SequenceWindowTests
{
    [Fact]
    public void TryAccept_EachNumberOnce()
    {
        SequenceWindow w = new();
        Assert.False(w.TryAccept(0));
        Assert.True(w.TryAccept(1));
        Assert.False(w.TryAccept(1));
        Assert.True(w.TryAccept(3));
        Assert.True(w.TryAccept(2));
        Assert.False(w.TryAccept(2));
        Assert.False(w.TryAccept(3));
    }

    [Fact]
    public void TryAccept_OutOfOrderInsideWindow_AcceptedOnce_StaleRefused()
    {
        SequenceWindow w = new();
        Assert.True(w.TryAccept(200));
        Assert.True(w.TryAccept(73));   // 200 − 127: the oldest still inside
        Assert.False(w.TryAccept(73));
        Assert.False(w.TryAccept(72));  // 128 below: stale
        Assert.True(w.TryAccept(199));
    }

    [Fact]
    public void TryAccept_BigJump_ForgetsOldButRefusesStale()
    {
        SequenceWindow w = new();
        for (ulong i = 1; i <= 10; i++)
        {
            Assert.True(w.TryAccept(i));
        }
        Assert.True(w.TryAccept(1000));
        for (ulong i = 1; i <= 10; i++)
        {
            Assert.False(w.TryAccept(i));
        }
        Assert.True(w.TryAccept(999));
    }

    [Fact]
    public void StoredState_RestoresExactly()
    {
        SequenceWindow w = new();
        foreach (ulong s in new ulong[] { 5, 9, 7, 130 })
        {
            Assert.True(w.TryAccept(s));
        }
        SequenceWindow restored = new(w.Highest, w.Bitmap);
        Assert.False(restored.TryAccept(9));
        Assert.False(restored.TryAccept(130));
        Assert.True(restored.TryAccept(8));
        Assert.False(restored.TryAccept(2)); // 128 below 130
    }
}
