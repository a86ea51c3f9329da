namespace GradCamAudit.Data;

/// <summary>
/// A text reader that passes a manifest through line by line, replacing each line longer than
/// <paramref name="maxLineChars"/> with <see cref="OversizeMarker"/> (the rest of that line is skipped unread into
/// memory), so an oversize record costs one row (<c>malformed_row</c>) and never the run: the CSV parser never sees a
/// record beyond its own limit. Line numbering is kept: one line in, one line out.
/// </summary>
public sealed class BoundedLineReader(TextReader inner, int maxLineChars) : TextReader
{
    /// <summary>The line that stands for an oversize record (a NUL can appear in no valid manifest field).</summary>
    public const string OversizeMarker = "\0oversize-record\0";

    private readonly char[] chunk = new char[64 * 1024];
    private int chunkAt;
    private int chunkEnd;
    private bool innerDone;
    private readonly System.Text.StringBuilder line = new();
    private string pending = "";
    private int pendingAt;

    public override int Peek()
    {
        if (!Fill())
        {
            return -1;
        }
        return pending[pendingAt];
    }

    public override int Read()
    {
        if (!Fill())
        {
            return -1;
        }
        return pending[pendingAt++];
    }

    public override int Read(char[] buffer, int index, int count) => Read(buffer.AsSpan(index, count));

    public override int Read(Span<char> buffer)
    {
        int written = 0;
        while (written < buffer.Length && Fill())
        {
            int n = Math.Min(buffer.Length - written, pending.Length - pendingAt);
            pending.AsSpan(pendingAt, n).CopyTo(buffer[written..]);
            pendingAt += n;
            written += n;
        }
        return written;
    }

    public override int ReadBlock(char[] buffer, int index, int count) => Read(buffer.AsSpan(index, count));

    public override int ReadBlock(Span<char> buffer) => Read(buffer);

    /// <summary>Makes the next line (with its line break) pending; false at the end of the input.</summary>
    private bool Fill()
    {
        if (pendingAt < pending.Length)
        {
            return true;
        }
        line.Clear();
        bool oversize = false, any = false;
        while (true)
        {
            if (chunkAt == chunkEnd)
            {
                if (innerDone)
                {
                    break;
                }
                chunkEnd = inner.Read(chunk, 0, chunk.Length);
                chunkAt = 0;
                if (chunkEnd == 0)
                {
                    innerDone = true;
                    break;
                }
            }
            any = true;
            int newline = Array.IndexOf(chunk, '\n', chunkAt, chunkEnd - chunkAt);
            int end = newline < 0 ? chunkEnd : newline + 1;
            if (!oversize)
            {
                line.Append(chunk, chunkAt, end - chunkAt);
                if (line.Length > maxLineChars + 2)
                {
                    oversize = true;
                    line.Clear();
                }
            }
            chunkAt = end;
            if (newline >= 0)
            {
                break;
            }
        }
        if (!any)
        {
            return false;
        }
        pending = oversize ? OversizeMarker + "\n" : line.ToString();
        pendingAt = 0;
        return pending.Length > 0;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }
        base.Dispose(disposing);
    }

    /// <summary>
    /// The non-empty lines of a file, counted on its bytes (no line is ever held as a string, so a 2 GB line costs
    /// nothing): the row count of a manifest whose records never span lines.
    /// </summary>
    public static long CountNonEmptyLines(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        var buffer = new byte[1 << 16];
        long lines = 0;
        bool content = false;
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            for (int i = 0; i < read; i++)
            {
                byte b = buffer[i];
                if (b == (byte)'\n')
                {
                    lines += content ? 1 : 0;
                    content = false;
                }
                else if (b != (byte)'\r')
                {
                    content = true;
                }
            }
        }
        return lines + (content ? 1 : 0);
    }
}
