using System.Security.Cryptography;
using System.Text;

namespace Coffer.Cli.State;

/// <summary>Files only this user can read (0600 from the moment they exist), replaced atomically.</summary>
internal static class SecureFiles
{
    /// <summary>Writes <paramref name="bytes"/> to a new 0600 file beside <paramref name="path"/>, then renames it over.</summary>
    public static void Replace(string path, ReadOnlySpan<byte> bytes)
    {
        string temp = path + ".tmp-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        try
        {
            using (FileStream stream = Create(temp))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>Writes a file that must not exist yet (an Emergency Kit, a Secret Key), 0600.</summary>
    /// <exception cref="CliException">It exists.</exception>
    public static void CreateNew(string path, string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        try
        {
            using FileStream stream = Create(path);
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }
        catch (IOException) when (File.Exists(path))
        {
            throw new CliException(ExitCodes.Conflict, $"{path} exists already; coffer does not overwrite it. Choose another path.");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    private static FileStream Create(string path) => new(path, new FileStreamOptions
    {
        Mode = FileMode.CreateNew,
        Access = FileAccess.Write,
        Share = FileShare.None,
        UnixCreateMode = CofferHome.FileMode,
    });
}

/// <summary>
/// An advisory lock between coffer processes (flock(2), which .NET takes for <see cref="FileShare.None"/> on Unix),
/// held while the account file is rewritten or an agent is started.
/// </summary>
internal sealed class FileLock : IDisposable
{
    private readonly FileStream _stream;

    private FileLock(FileStream stream) => _stream = stream;

    public static async Task<FileLock> AcquireAsync(string path, CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return new FileLock(new FileStream(path, new FileStreamOptions
                {
                    Mode = FileMode.OpenOrCreate,
                    Access = FileAccess.ReadWrite,
                    Share = FileShare.None,
                    UnixCreateMode = CofferHome.FileMode,
                }));
            }
            catch (IOException) when (attempt < 400)
            {
                await Task.Delay(25, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public void Dispose() => _stream.Dispose();
}
