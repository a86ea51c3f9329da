using System.Globalization;
using System.Xml;
using System.Xml.Linq;
using GradCamAudit.Data.Masks;

namespace GradCamAudit.Data.Sources;

/// <summary>One <c>&lt;object&gt;</c> of a VOC annotation: its class name, flags and box in <see cref="PixelBox"/> coordinates.</summary>
public sealed record VocObject(string Name, bool Difficult, bool Truncated, PixelBox Box);

/// <summary>
/// A Pascal VOC annotation file (<c>Annotations/&lt;id&gt;.xml</c>), read defensively: over <see cref="MaxBytes"/> it is
/// refused from its size before a byte is parsed; a DTD is refused (<see cref="DtdProcessing.Prohibit"/>, no resolver:
/// no entity expansion, no external fetch); more than <see cref="MaxObjects"/> objects are refused while reading. Every
/// refusal is one <see cref="SampleException"/> (<c>annotation_invalid</c>; a bad <c>bndbox</c> is <c>box_invalid</c>).
/// VOC's <c>bndbox</c> holds 1-based inclusive pixel indices: <c>xmin..xmax</c> covers the 0-based pixels
/// <c>xmin - 1 .. xmax - 1</c>, i.e. the box <c>x = xmin - 1, w = xmax - xmin + 1</c> under the centre rule.
/// </summary>
public static class VocAnnotation
{
    /// <summary>Largest annotation file read (VOC's are a few KiB).</summary>
    public const long MaxBytes = 1024 * 1024;

    /// <summary>Most objects one annotation may hold (VOC's largest has 56).</summary>
    public const int MaxObjects = 10_000;

    /// <summary>The objects of the file and the image size it declares (null when it has no <c>&lt;size&gt;</c>).</summary>
    public static (IReadOnlyList<VocObject> Objects, (int Width, int Height)? Size) Read(string path, string name)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new SampleException(ReasonCodes.MaskMissing, $"annotation file not found: {name}");
        }
        if (info.Length > MaxBytes)
        {
            throw new SampleException(ReasonCodes.AnnotationInvalid, $"annotation is {info.Length:N0} bytes, over the {MaxBytes:N0} a VOC annotation may hold: {name}");
        }
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersInDocument = MaxBytes,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
            CloseInput = true,
        };
        var objects = new List<VocObject>();
        (int, int)? size = null;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            using var reader = XmlReader.Create(stream, settings);
            reader.MoveToContent();
            reader.Read();
            while (!reader.EOF)
            {
                if (reader.NodeType != XmlNodeType.Element || reader.Depth != 1 || reader.LocalName is not ("object" or "size"))
                {
                    reader.Read();
                    continue;
                }
                // XNode.ReadFrom leaves the reader on the node after the element: no Read() here, or a sibling is skipped.
                if (reader.LocalName == "object")
                {
                    if (objects.Count == MaxObjects)
                    {
                        throw new SampleException(ReasonCodes.AnnotationInvalid, $"annotation holds more than {MaxObjects:N0} objects: {name}");
                    }
                    objects.Add(Object((XElement)XNode.ReadFrom(reader), name));
                }
                else if (reader.LocalName == "size")
                {
                    var e = (XElement)XNode.ReadFrom(reader);
                    if (int.TryParse((string?)e.Element("width"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int w)
                        && int.TryParse((string?)e.Element("height"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int h) && w > 0 && h > 0)
                    {
                        size = (w, h);
                    }
                }
            }
        }
        catch (XmlException ex)
        {
            throw new SampleException(ReasonCodes.AnnotationInvalid, $"annotation is not a readable VOC XML ({ex.Message}): {name}");
        }
        return (objects, size);
    }

    private static VocObject Object(XElement e, string file)
    {
        string objectName = ((string?)e.Element("name") ?? "").Trim();
        bool Flag(string key) => ((string?)e.Element(key))?.Trim() is "1" or "true";
        XElement? b = e.Element("bndbox");
        double V(string key)
        {
            string? text = (string?)b?.Element(key);
            return double.TryParse(text?.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : double.NaN;
        }
        double xmin = V("xmin"), ymin = V("ymin"), xmax = V("xmax"), ymax = V("ymax");
        if (objectName.Length == 0)
        {
            throw new SampleException(ReasonCodes.AnnotationInvalid, $"an object has no name: {file}");
        }
        if (!double.IsFinite(xmin) || !double.IsFinite(ymin) || !double.IsFinite(xmax) || !double.IsFinite(ymax)
            || xmin < 0 || ymin < 0 || xmax < xmin || ymax < ymin || xmax > BoxList.MaxEdge || ymax > BoxList.MaxEdge)
        {
            throw new SampleException(ReasonCodes.BoxInvalid,
                string.Create(CultureInfo.InvariantCulture, $"object '{objectName}' has a bndbox that is missing, negative, reversed or overflowing ({xmin}, {ymin}, {xmax}, {ymax}): {file}"));
        }
        return new VocObject(objectName, Flag("difficult"), Flag("truncated"), new PixelBox(xmin - 1, ymin - 1, xmax - xmin + 1, ymax - ymin + 1));
    }
}
