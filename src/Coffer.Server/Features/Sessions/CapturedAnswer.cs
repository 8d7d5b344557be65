using System.Buffers;

namespace Coffer.Server.Features.Sessions;

/// <summary>
/// Where the session layer catches an endpoint's answer before sealing it: a write-only stream over buffers from the shared
/// pool, so a request's plaintext answer costs no allocation of its own (a fresh MemoryStream grew and copied several times
/// for an item, and its array went to the collector). The plaintext is cleared before its buffer goes back to the pool.
/// </summary>
internal sealed class CapturedAnswer : Stream
{
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(4096);
    private int _length;

    /// <summary>What the endpoint wrote so far.</summary>
    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => _length;

    public override long Position
    {
        get => _length;
        set => throw new NotSupportedException();
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_length < 0, this);
        if (_buffer.Length - _length < buffer.Length)
        {
            Grow(_length + buffer.Length);
        }
        buffer.CopyTo(_buffer.AsSpan(_length));
        _length += buffer.Length;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void WriteByte(byte value) => Write([value]);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value)
    {
        // HttpResponse.Clear() empties an answer an endpoint started before failing.
        if (value != 0)
        {
            throw new NotSupportedException();
        }
        _buffer.AsSpan(0, _length).Clear();
        _length = 0;
    }

    protected override void Dispose(bool disposing)
    {
        if (_length >= 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer, clearArray: true);
            _buffer = [];
            _length = -1;
        }
        base.Dispose(disposing);
    }

    private void Grow(int needed)
    {
        byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _buffer.Length * 2));
        _buffer.AsSpan(0, _length).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_buffer, clearArray: true);
        _buffer = larger;
    }
}
