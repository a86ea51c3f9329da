using GradCamAudit.Options;

namespace GradCamAudit.Data.Sources;

/// <summary>Opens the sample source a config's <c>dataset.format</c> names.</summary>
public static class SampleSources
{
    public static ISampleSource Open(DatasetOptions dataset, long maxImagePixels = ImageDecoder.DefaultMaxImagePixels)
    {
        DatasetSource s = dataset.SourceSettings;
        return s.Format switch
        {
            "imagefolder" => new ImageFolderSource(dataset.Classes, s),
            "coco" => new CocoSource(dataset.Classes, s),
            "voc" => new VocSource(dataset.Classes, s, maxImagePixels),
            _ => new CsvSampleSource(dataset.Manifest, dataset.Classes, s),
        };
    }
}
