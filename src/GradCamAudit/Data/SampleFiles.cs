using GradCamAudit.Data.Png;
using Polly;
using Polly.Retry;
using SkiaSharp;

namespace GradCamAudit.Data;

/// <summary>
/// Reading one dataset file, the same way for every source: only regular files (a FIFO or device reports a size of 0
/// and is never opened; symbolic links are followed), transient I/O failures retried with exponential backoff
/// (Polly), every failure a <see cref="SampleException"/> with the file's reason code.
/// </summary>
public static class SampleFiles
{
    private static readonly ResiliencePipeline Retry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = 3,
            Delay = TimeSpan.FromMilliseconds(50),
            BackoffType = DelayBackoffType.Exponential,
            ShouldHandle = new PredicateBuilder().Handle<IOException>(e => e is not FileNotFoundException and not DirectoryNotFoundException),
        })
        .Build();

    public static byte[] ReadBytes(string path, string missingCode, string what)
    {
        try
        {
            CheckRegular(path, what);
            return Retry.Execute(static p => File.ReadAllBytes(p), path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new SampleException(missingCode, $"{what} file not found: {Path.GetFileName(path)}");
        }
        catch (IOException ex)
        {
            throw new SampleException(ReasonCodes.IoError, $"{what} could not be read after retries: {WithoutPath(ex.Message, path)}");
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new SampleException(ReasonCodes.IoError, $"{what} is not readable: {WithoutPath(ex.Message, path)}");
        }
    }

    /// <summary>A missing file is <paramref name="what"/>'s missing code; a folder, an empty file, a FIFO or a device is invalid_path.</summary>
    private static void CheckRegular(string path, string what)
    {
        var info = new FileInfo(path);
        if (info.Exists && info.Length == 0)
        {
            throw new SampleException(ReasonCodes.InvalidPath, $"{what} is empty or not a regular file (FIFO, device): {info.Name}");
        }
        if (!info.Exists && Directory.Exists(path))
        {
            throw new SampleException(ReasonCodes.InvalidPath, $"{what} is a folder, not a file: {info.Name}");
        }
    }

    /// <summary>Width and height from the file's header only (PNG: IHDR; others: SkiaSharp's codec header).</summary>
    /// <summary>
    /// An exception message with the file's absolute path (and its folder) replaced by its file name: errors.csv names
    /// files as the manifest writes them, never the server's layout.
    /// </summary>
    public static string WithoutPath(string message, string path)
    {
        string full = Path.GetFullPath(path);
        string name = Path.GetFileName(full);
        string folder = Path.GetDirectoryName(full) ?? "";
        string text = message.Replace(full, name, StringComparison.Ordinal);
        return folder.Length > 1 ? text.Replace(folder, "…", StringComparison.Ordinal) : text;
    }

    public static (int Width, int Height) HeaderSize(string path, string missingCode, string corruptCode, string what, string name)
    {
        if (!File.Exists(path))
        {
            throw new SampleException(Directory.Exists(path) ? ReasonCodes.InvalidPath : missingCode, Directory.Exists(path) ? $"{what} is a folder, not a file: {name}" : $"{what} file not found: {name}");
        }
        CheckRegular(path, what);
        var head = new byte[33];
        int read;
        using (FileStream s = File.OpenRead(path))
        {
            read = s.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }
        if (PngReader.IsPng(head))
        {
            try
            {
                PngHeader h = PngReader.ReadHeader(head.AsSpan(0, read));
                return (h.Width, h.Height);
            }
            catch (InvalidDataException ex)
            {
                throw new SampleException(corruptCode, $"{what} header is not a readable PNG ({ex.Message}): {name}");
            }
        }
        using SKCodec? codec = SKCodec.Create(path, out SKCodecResult result);
        if (codec == null || codec.Info.Width <= 0 || codec.Info.Height <= 0)
        {
            throw new SampleException(corruptCode, $"{what} header is not a decodable image ({result}): {name}");
        }
        return (codec.Info.Width, codec.Info.Height);
    }

    /// <summary>Decodes any image SkiaSharp reads to unpremultiplied RGBA (first frame of an animation).</summary>
    public static SKBitmap DecodeRgba(byte[] bytes, long maxPixels, string corruptCode, string what, string name)
    {
        try
        {
            using SKCodec codec = SKCodec.Create(new SKMemoryStream(bytes)) ?? throw new InvalidDataException($"not a decodable image ({bytes.Length} bytes)");
            if ((long)codec.Info.Width * codec.Info.Height > maxPixels)
            {
                throw new SampleException(ReasonCodes.ImageTooLarge, $"{what} is {codec.Info.Width}x{codec.Info.Height}, over audit.maxImagePixels = {maxPixels:N0}: {name}");
            }
            var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
            var bitmap = new SKBitmap(info);
            SKCodecResult result = codec.GetPixels(info, bitmap.GetPixels());
            if (result is not SKCodecResult.Success)
            {
                bitmap.Dispose();
                throw new InvalidDataException($"corrupt or truncated ({result})");
            }
            return bitmap;
        }
        catch (Exception ex) when (ex is not SampleException)
        {
            throw new SampleException(corruptCode, $"{what} could not be decoded ({ex.GetType().Name}: {ex.Message}): {name}");
        }
    }
}
