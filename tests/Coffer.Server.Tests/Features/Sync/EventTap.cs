using System.Text;

namespace Coffer.Server.Tests.Features.Sync;

/// <summary>
/// A network attacker on the event stream: forwards requests (to <see cref="Redirect"/> if set) and hands the client each
/// line of a <c>text/event-stream</c> answer after <see cref="Rewrite"/>, keeping what the server sent in <see cref="Raw"/>.
/// </summary>
internal sealed class EventTap() : DelegatingHandler(new HttpClientHandler())
{
    private readonly StringBuilder _raw = new();

    public Func<string, string>? Rewrite { get; set; }

    public Uri? Redirect { get; set; }

    public string Raw
    {
        get
        {
            lock (_raw)
            {
                return _raw.ToString();
            }
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (Redirect is not null && request.Method != HttpMethod.Get)
        {
            request.RequestUri = new Uri(Redirect, request.RequestUri!.PathAndQuery);
        }
        HttpResponseMessage response = await base.SendAsync(request, cancellationToken);
        if (response.Content.Headers.ContentType?.MediaType == "text/event-stream")
        {
            Stream inner = await response.Content.ReadAsStreamAsync(cancellationToken);
            StreamContent replaced = new(new LineStream(inner, this));
            replaced.Headers.ContentType = response.Content.Headers.ContentType;
            response.Content = replaced;
        }
        return response;
    }

    private sealed class LineStream(Stream inner, EventTap tap) : Stream
    {
        private readonly StreamReader _reader = new(inner, Encoding.UTF8);
        private byte[] _pending = [];
        private int _offset;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_offset == _pending.Length)
            {
                string? line = await _reader.ReadLineAsync(cancellationToken);
                if (line is null)
                {
                    return 0;
                }
                lock (tap._raw)
                {
                    tap._raw.Append(line).Append('\n');
                }
                _pending = Encoding.UTF8.GetBytes((tap.Rewrite?.Invoke(line) ?? line) + "\n");
                _offset = 0;
            }
            int n = Math.Min(buffer.Length, _pending.Length - _offset);
            _pending.AsMemory(_offset, n).CopyTo(buffer);
            _offset += n;
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _reader.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
