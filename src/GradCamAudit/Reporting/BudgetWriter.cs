using System.Text;

namespace GradCamAudit.Reporting;

/// <summary>A text writer that passes everything through until a character budget is spent, then throws: a page is whole or fails.</summary>
public sealed class BudgetWriter(TextWriter inner, long budget) : TextWriter
{
    private long written;

    public override Encoding Encoding => inner.Encoding;

    public long Written => written;

    public bool Exceeded => written > budget;

    public override void Write(char value)
    {
        Spend(1);
        inner.Write(value);
    }

    public override void Write(char[] buffer, int index, int count)
    {
        Spend(count);
        inner.Write(buffer, index, count);
    }

    public override void Write(ReadOnlySpan<char> buffer)
    {
        Spend(buffer.Length);
        inner.Write(buffer);
    }

    public override void Write(string? value)
    {
        Spend(value?.Length ?? 0);
        inner.Write(value);
    }

    public override void Flush() => inner.Flush();

    private void Spend(long count)
    {
        written += count;
        if (written > budget)
        {
            throw new BudgetExceededException(budget, null);
        }
    }
}

/// <summary>The rendered page would be larger than its budget: the report fails rather than being cut off.</summary>
public sealed class BudgetExceededException(long budget, Exception? inner)
    : InvalidOperationException($"the report exceeds its output budget of {budget:N0} characters; lower report.galleryMax or render fewer classes", inner);
