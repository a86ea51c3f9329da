using System.Globalization;
using System.Reflection;
using CsvHelper;
using GradCamAudit.Data;
using GradCamAudit.Options;
using GradCamAudit.Results;
using Scriban;
using Scriban.Runtime;

namespace GradCamAudit.Reporting;

/// <summary>
/// Renders report.html from a run folder: run.json, results/*.parquet, errors.csv and the dataset files the
/// results point to. Never touches the model. Templates are embedded (Reporting/Templates) and can be
/// overridden by a folder holding a file of the same name.
/// </summary>
public static class ReportBuilder
{
    public const string TemplateName = "report.sbn";

    /// <summary>
    /// The most characters a report may have. The page is bounded by the gallery caps (cards of three thumbnails of a
    /// few KB) and the class count (the confusion matrix); a page past this budget is a failure, never a truncation.
    /// </summary>
    public static long OutputBudgetChars { get; set; } = 256L * 1024 * 1024;

    /// <summary>Each loaded template's Content-Security-Policy (hashes of its own inline script and style), as <c>csp</c> in templates.</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Template, string> Policies = [];

    /// <summary>
    /// Renders report.html of a run folder. <paramref name="finishing"/> is the run.json about to be committed by the
    /// run that renders its own report as its last step (the folder's run.json still says "running" then).
    /// </summary>
    public static string Render(string runDirectory, string? templateDirectory, RunManifest? finishing = null, HistoryOptions? history = null)
    {
        var folder = new RunFolder(runDirectory);
        RunManifest run;
        try
        {
            run = finishing ?? folder.LoadManifest() ?? throw new ConfigException($"--run: '{runDirectory}' holds no run.json (not a run folder)");
        }
        catch (InvalidDataException ex)
        {
            throw new ConfigException($"--run: {ex.Message}");
        }
        Template template = LoadTemplate(templateDirectory ?? run.Config.Report.TemplateDirectory);
        ReportModel model = BuildModel(runDirectory, run, out RunSummary summary, exactMeanMaps: finishing != null);
        SummaryWriter.Write(folder, run, summary);
        if (history != null)
        {
            // The trend: earlier runs' summaries and this run's, just written.
            var points = Trend.Read(history, runDirectory).Append(Trend.Point(folder.SummaryJsonPath)).ToList();
            model = model with { TrendChart = Trend.Svg(points), TrendRuns = points.Count };
        }
        RunFolder.WriteAtomic(folder.ReportPath, s => RenderTo(template, model, s), pausePoint: "report-written");
        return folder.ReportPath;
    }

    /// <summary>
    /// Parses the template (embedded or the override) and renders it once against a small synthetic report, so a broken
    /// override fails when a run starts, with file, line and column, not after the audit.
    /// </summary>
    public static void CheckTemplate(string? templateDirectory)
    {
        Template template = LoadTemplate(templateDirectory);
        try
        {
            RenderTo(template, ReportSamples.Synthetic(), Stream.Null);
        }
        catch (Scriban.Syntax.ScriptRuntimeException ex)
        {
            throw new ConfigException($"report template {template.SourceFilePath}: {ex.Message}");
        }
    }

    /// <summary>Renders with Scriban's silent limits set on purpose: no output truncation, no loop cap, an explicit budget that throws.</summary>
    public static void RenderTo(Template template, ReportModel model, Stream stream)
    {
        using var text = new StreamWriter(stream, new System.Text.UTF8Encoding(false), leaveOpen: true);
        using var budget = new BudgetWriter(text, OutputBudgetChars);
        var globals = new ScriptObject();
        globals.Import(model);
        globals.SetValue("csp", Policies.TryGetValue(template, out string? csp) ? csp : "default-src 'none'", readOnly: true);
        var context = new Html.EscapingTemplateContext
        {
            StrictVariables = true,
            LimitToString = 0, // Scriban's default (1,048,576) silently cuts the page and appends "..."
            LoopLimit = 0, // Scriban's default (1,000 iterations across nested loops) stops large confusion matrices
            RecursiveLimit = 100,
        };
        context.PushOutput(new TextWriterOutput(budget));
        context.PushGlobal(globals);
        try
        {
            template.Render(context);
        }
        catch (Exception ex) when (budget.Exceeded && ex is not BudgetExceededException)
        {
            // Scriban wraps what the output throws: surface the budget itself.
            throw new BudgetExceededException(OutputBudgetChars, ex);
        }
        budget.Flush();
    }

    /// <summary>Parses the template now, failing with every message (file, line, column).</summary>
    public static Template LoadTemplate(string? templateDirectory)
    {
        string text, source;
        if (templateDirectory != null)
        {
            string custom = Path.Combine(templateDirectory, TemplateName);
            if (!File.Exists(custom))
            {
                throw new ConfigException($"templates: '{templateDirectory}' holds no {TemplateName}");
            }
            (text, source) = (File.ReadAllText(custom), custom);
        }
        else
        {
            using Stream stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("GradCamAudit.Templates." + TemplateName)
                ?? throw new InvalidOperationException("embedded report template missing");
            using var reader = new StreamReader(stream);
            (text, source) = (reader.ReadToEnd(), "embedded:" + TemplateName);
        }
        Template template = Template.Parse(text, source);
        if (template.HasErrors)
        {
            throw new ConfigException(template.Messages.Select(m => $"report template {m}").ToArray());
        }
        Policies.AddOrUpdate(template, Html.ContentSecurityPolicy.For(text));
        return template;
    }

    public static ReportModel BuildModel(string runDirectory, RunManifest run) => BuildModel(runDirectory, run, out _);

    /// <summary>Streams the results once into a <see cref="RunSummary"/>, then reads back only the gallery's maps.</summary>
    /// <param name="runDirectory">The run folder.</param>
    /// <param name="run">Its run.json (or the one about to be committed).</param>
    /// <param name="summary">The run summary the model was built from.</param>
    /// <param name="exactMeanMaps">Mean maps over every row (the audit's own report, whose summary is persisted); else a
    /// bounded sample of row groups when the summary has to be recomputed.</param>
    public static ReportModel BuildModel(string runDirectory, RunManifest run, out RunSummary summary, bool exactMeanMaps = false)
    {
        IReadOnlyList<string> classes = run.Config.Dataset.Classes;
        AuditOptions cfg = run.Config;
        int cap = cfg.Report.GalleryMax;
        var notes = new List<string>(run.Warnings);
        Acknowledgements acknowledged = LoadAcknowledgements(cfg, notes);
        DateOnly day = DateOnly.FromDateTime(run.StartedUtc.UtcDateTime);
        string fingerprint = SummaryStore.Fingerprint(runDirectory, run);
        PersistedSummary? persisted = SummaryStore.TryLoad(runDirectory, fingerprint);
        List<ReportRow> acknowledgedFindings;
        MeanMaps meanMaps;
        if (persisted != null)
        {
            // The parts are those the persisted summary was made from: no pass over the results.
            summary = RunSummary.FromState(persisted.Summary, runDirectory, cap);
            meanMaps = MeanMaps.FromState(persisted.MeanMaps);
            acknowledgedFindings = [.. persisted.AcknowledgedFindings];
        }
        else
        {
            summary = new RunSummary(classes.Count, cap);
            acknowledgedFindings = [];
            meanMaps = new MeanMaps(classes.Count, run.CamHeight, run.CamWidth, run.Counts.Audited, exactMeanMaps);
            var rates = new Gates.RatesAccumulator(classes.Count);
            long chunk = 0;
            foreach ((ReportRow[] rows, RowOrigin origin) in ResultsReader.ReadChunks(runDirectory))
            {
                foreach (ReportRow r in rows)
                {
                    summary.Add(r, origin);
                    rates.Add(r);
                    if (acknowledged.Count > 0 && acknowledged.Find(r.SampleId) != null && (r.OffObject == true || r.PossibleLabelError == true))
                    {
                        acknowledgedFindings.Add(r); // bounded by the acknowledge list
                    }
                }
                if (meanMaps.Takes(chunk++))
                {
                    float[][] predMaps = ResultsReader.ReadPredictedMaps(origin);
                    for (int i = 0; i < rows.Length && i < predMaps.Length; i++)
                    {
                        meanMaps.Add(rows[i], predMaps[i]);
                    }
                }
            }
            SummaryStore.Save(runDirectory, new PersistedSummary(SummaryStore.Version, fingerprint, summary.ToState(runDirectory), meanMaps.ToState(), [.. acknowledgedFindings], rates.ToState()));
        }
        long audited = summary.Audited;
        string runNote = run.Status switch
        {
            RunStatus.Failed => $"This run failed ({run.FailureReason}): the report shows the {audited} rows committed before the failure.",
            RunStatus.Running => $"This run did not finish (killed, or still running): the report shows the {audited} rows committed so far; continue it with --resume.",
            _ => "",
        };
        var flagged = summary.FlaggedGallery();
        var rfwr = summary.RightForWrongReasonGallery();
        // The findings, decided from the committed results as every later verb does; the label-error gallery shows the
        // label_error findings ranked by score, and every card carries its finding's evidence line.
        Findings.FindingsReport findings = Findings.FindingsRun.Write(runDirectory, run,
            flagged.Concat(rfwr).Select(g => g.Row.SampleId).ToHashSet(StringComparer.Ordinal));
        List<(ReportRow Row, RowOrigin Origin)> Cards(string kind) => (findings.Section(kind)?.Top ?? [])
            .Where(c => c.Source != null).Select(c => (Row: c.Source!, c.Origin)).ToList();
        var labelErrors = Cards(Findings.FindingKinds.LabelError);
        var hardCases = Cards(Findings.FindingKinds.Hard).Take(Math.Max(1, cfg.Report.GalleryMax / 2)).ToList(); // half the cap, as right-for-the-wrong-reason: the page stays a few hundred KB
        Dictionary<string, string> sectionLines = findings.Sections.SelectMany(s => s.Top)
            .GroupBy(c => c.SampleId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Evidence, StringComparer.Ordinal);
        // The strategies (SpRAy), decided from the committed maps alone; their exemplars' thumbnails are read with the galleries'.
        Findings.Strategies.StrategiesReport strategies = Findings.Strategies.StrategiesRun.Write(runDirectory, run);
        int strategyCards = Math.Max(8, cap);
        var strategyExemplars = strategies.Ranked.Take(strategyCards).SelectMany(s => s.Exemplars).ToList();
        var galleryRows = flagged.Concat(rfwr).Concat(labelErrors).Concat(hardCases).Concat(strategyExemplars).ToList();
        var wanted = galleryRows.GroupBy(g => g.Origin).ToDictionary(g => g.Key, g => g.Select(x => x.Row.SampleId).ToHashSet(StringComparer.Ordinal));
        Dictionary<string, ReportMaps> maps = ResultsReader.ReadMaps(wanted);
        Data.Sources.ISampleSource? dataset = OpenDataset(cfg);
        Dictionary<string, ManifestInfo> info = GalleryDetails.Read(wanted, run.ExtraColumns).ToDictionary(kv => kv.Key, kv => new ManifestInfo(kv.Value.Extra,
            kv.Value.Mask is { Length: > 0 } m && galleryRows.FirstOrDefault(g => g.Row.SampleId == kv.Key).Row is ReportRow row ? dataset?.Locate(m, row.TrueLabel) : null), StringComparer.Ordinal);
        var decoder = new ImageDecoder(cfg.Model.InputHeight, cfg.Model.InputWidth, cfg.Model.Preprocess, ImageDecoder.DefaultMaxImagePixels, cfg.Dataset.SourceSettings.ExifOrientation);
        string manifestRoot = dataset?.ImageRoot ?? Path.GetDirectoryName(run.ManifestPath)!;
        bool mapsOnly = cfg.Report.Images == "maps-only";
        // Every method's predicted-class map side by side on the first flagged cards.
        IReadOnlyList<string> methodNames = cfg.ExplainSettings.Methods;
        var sideBySide = methodNames.Count < 2 ? [] : ExplanationMaps.Read(runDirectory, flagged.Take(SideBySideCards).Select(g => g.Row.SampleId).ToList(), methodNames);
        foreach ((string id, List<(string Method, float[] Cam)> list) in sideBySide)
        {
            // The primary method's maps are stored once, in the results (pred_cam): put them first on the card.
            if (!list.Any(m => m.Method == methodNames[0]) && maps.GetValueOrDefault(id) is ReportMaps own && own.PredCam.Length > 0)
            {
                list.Insert(0, (methodNames[0], own.PredCam));
            }
        }
        GalleryItem Item(ReportRow r, string kind) => Gallery(r, maps.GetValueOrDefault(r.SampleId), info.GetValueOrDefault(r.SampleId), decoder, manifestRoot, mapsOnly,
            kind == "flagged" ? sideBySide.GetValueOrDefault(r.SampleId) : null) with
        {
            Kind = kind,
            LiftValue = r.PredEnergyLift is double lift ? lift.ToString("R", CultureInfo.InvariantCulture) : "",
            AckNote = acknowledged.Find(r.SampleId) is { } a ? AcknowledgedView.Describe(a, day) : "",
            Evidence = findings.EvidenceLines.GetValueOrDefault(r.SampleId) ?? sectionLines.GetValueOrDefault(r.SampleId) ?? "",
        };

        var classRows = summary.Classes().Select(s => new ClassSummary(
            classes[s.Label], s.Count, Pct(s.Accuracy), F(s.MeanPredLift), F(s.MedianPredLift), F(s.MeanTrueLift), F(s.MeanTrueEnergy), Pct(s.OffObjectRate),
            s.Flagged, s.RightForWrongReason, (s.OffObjectRate ?? 0) > 0.25, GateRows.ClassAnchor(s.Label))).ToList();

        ConfusionMatrix confusion = Confusion(summary.Confusion, classes, cfg.Report.ConfusionMaxClasses);

        if (runNote.Length > 0)
        {
            notes.Insert(0, runNote);
        }
        if (summary.EmptyMasks > 0)
        {
            long none = summary.MaskSources.GetValueOrDefault(Data.Masks.MaskSources.None);
            notes.Add(none == summary.EmptyMasks
                ? $"{summary.EmptyMasks} samples have no mask: they are audited, but their mask metrics and flags are empty (null), finding reason no_mask."
                : $"{summary.EmptyMasks} samples have an empty or no mask ({none} without one): they are audited, but their mask metrics and flags are empty (null), finding reason no_mask.");
        }
        string verdict = Verdict(summary, classes);
        BaselineView? baselineView = ReadBaseline(runDirectory);
        if (baselineView is { Differences.Length: > 0 })
        {
            notes.Insert(0, $"This run and its baseline differ in {baselineView.Differences}: the night-over-night deltas mix the effect of those changes.");
        }
        IReadOnlyList<LiftHistogram> byClass = summary.LiftByClass;
        var headline = new Headline(run.Counts.ManifestRows, run.Counts.Errors, audited, Pct(audited == 0 ? null : (double)summary.Correct / audited),
            summary.Flagged, summary.RightForWrongReason, summary.OffObject,
            F(summary.MeanLiftCorrect), F(summary.MeanLiftWrong), summary.EmptyMasks, verdict, summary.RegionsLine(), summary.SamplesWithMask);
        var header = new RunHeader(run.RunId, cfg.Name, run.ToolVersion, (run.FinishedUtc ?? run.StartedUtc).ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture),
            run.Device, cfg.Model.Architecture, $"{run.TargetLayer} ({run.CamMethod})", $"{run.CamHeight}x{run.CamWidth}", $"{cfg.Model.InputHeight}x{cfg.Model.InputWidth}",
            run.WeightsSha256[..12], run.ConfigSha256[..12], Path.GetFileName(run.ManifestPath), $"{run.Timings.TotalSeconds:F1} s",
            run.Timings.TotalSeconds > 0 ? $"{run.Counts.ManifestRows / run.Timings.TotalSeconds:F0} rows/s" : "-", cfg.Audit.OffObjectLiftThreshold,
            cfg.Audit.LabelErrorMinConfidence, cfg.Audit.LabelErrorMinLift);
        // One pass over explanations/ feeds both the method comparison and the sampled checks.
        var comparisonPass = new MethodComparison.Pass(methodNames, cfg.ExplainSettings.Primary, classes, cfg.Audit.OffObjectLiftThreshold);
        var checksPass = new SampledChecksView.Pass(methodNames, cfg.ExplainSettings.Primary, classes);
        bool explained = Directory.Exists(Path.Combine(runDirectory, "explanations"));
        ExplanationsReader.ForEachGroup(runDirectory, [], g =>
        {
            comparisonPass.Visit(g);
            checksPass.Visit(g);
        });
        IReadOnlyList<MethodRow> methodRows = explained ? comparisonPass.Rows() : [];
        SampledChecksModel checks = explained ? checksPass.Result() : SampledChecksModel.Empty;
        (IReadOnlyList<GateRow> gates, IReadOnlyList<GateRow> notEvaluated, IReadOnlyList<GateRow> inconclusive) = GateRows.Read(runDirectory, summary, classes, run, baselineView);
        (IReadOnlyList<MeanMapRow> meanMapRows, string meanMapsNote) = MeanMapView.Build(meanMaps, summary, classes, cfg.Model.InputHeight, cfg.Model.InputWidth, cfg.Report.ConfusionMaxClasses);
        (IReadOnlyList<AcknowledgedRow> acknowledgedRows, long resolved) = AcknowledgedView.Build(acknowledged, acknowledgedFindings, day);
        StrategiesSection strategiesSection = StrategiesView.Build(strategies, cfg.Model.InputHeight, cfg.Model.InputWidth, strategyCards, r => Item(r, "strategy"));
        return new ReportModel(header, headline, classRows, confusion,
            flagged.Select(g => Item(g.Row, "flagged")).ToList(), (int)summary.Flagged, rfwr.Select(g => Item(g.Row, "rfwr")).ToList(), (int)summary.RightForWrongReason,
            ReadErrors(runDirectory), notes,
            LiftHistogram.Svg([("correct", "#2e7d32", summary.LiftCorrect), ("misclassified", "#c62828", summary.LiftWrong)], cfg.Audit.OffObjectLiftThreshold, 640, 170,
                "predicted-class energy lift, correct (green) and misclassified (red) samples"),
            classes.Select((name, k) => new KeyValue(name, LiftHistogram.Svg([(name, "#37474f", byClass[k])], cfg.Audit.OffObjectLiftThreshold, 320, 110,
                $"predicted-class energy lift of true class {name}"))).ToList(),
            labelErrors.Select(g => Item(g.Row, "label-error")).ToList(), findings.LabelErrors,
            gates, baselineView,
            methodRows,
            NotEvaluated: notEvaluated, Acknowledged: acknowledgedRows, AcknowledgedResolved: resolved, MeanMaps: meanMapRows, MeanMapsNote: meanMapsNote,
            Checks: checks,
            ConfidenceChart: summary.OffObjectByConfidence.Svg(640, 150), Inconclusive: inconclusive, Findings: findings, Strategies: strategiesSection,
            HardCases: hardCases.Select(g => Item(g.Row, "hard")).ToList(), HardTotal: findings.Section(Findings.FindingKinds.Hard)?.Count ?? 0);
    }

    private static string Verdict(RunSummary summary, IReadOnlyList<string> classes)
    {
        if (summary.Audited == 0)
        {
            return "No sample could be audited.";
        }
        if (summary.SamplesWithMask == 0)
        {
            return "No sample has a mask: no map is judged against the object here (the strategies per class below need none).";
        }
        if (summary.Flagged == 0 && summary.RightForWrongReason == 0)
        {
            return "Attention is on the object for every sample with a mask.";
        }
        string text = $"{summary.Flagged} misclassified samples look away from the object (flagged) and {summary.RightForWrongReason} correct ones are right for the wrong reason.";
        // A class that draws a large share of the flagged predictions is a shortcut suspect; there can be several
        // (a local marker for one class, a background texture for another).
        var suspects = summary.FlaggedByPrediction
            .Where(kv => kv.Value >= 3 && kv.Value * 4 >= summary.Flagged)
            .OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key).ToList();
        if (suspects.Count == 1)
        {
            text += $" {suspects[0].Value} of the {summary.Flagged} flagged samples are predicted as '{classes[suspects[0].Key]}': look for a shortcut feature of that class.";
        }
        else if (suspects.Count > 1)
        {
            string list = string.Join(" and ", suspects.Select((kv, i) => $"{kv.Value}{(i == 0 ? " are predicted" : "")} as '{classes[kv.Key]}'"));
            text += $" Of the {summary.Flagged} flagged samples, {list}: look for a shortcut feature of each of these classes.";
        }
        return text;
    }

    /// <summary>
    /// One gallery card's thumbnails: the image with the mask outline, and the predicted- and true-class maps over it.
    /// With <paramref name="mapsOnly"/> (report.images = maps-only, for privacy) the dataset's image never enters the
    /// page: the maps are drawn over a neutral grey with the mask outline.
    /// </summary>
    private static GalleryItem Gallery(ReportRow r, ReportMaps? maps, ManifestInfo? info, ImageDecoder decoder, string manifestRoot, bool mapsOnly,
        List<(string Method, float[] Cam)>? methodCams = null)
    {
        int h = decoder.Height, w = decoder.Width;
        string imageUri = "", predUri = "", trueUri = "";
        var methodMaps = new List<KeyValue>();
        try
        {
            byte[] rgb = mapsOnly ? Enumerable.Repeat((byte)128, h * w * 3).ToArray() : decoder.DecodeImage(Path.Combine(manifestRoot, r.Image));
            byte[]? mask;
            try
            {
                mask = info?.Mask == null ? null : decoder.DecodeMask(info.Mask, Path.Combine(manifestRoot, r.Image));
            }
            catch (SampleException)
            {
                mask = null;
            }
            imageUri = mapsOnly ? "" : Overlay.ThumbnailDataUri(Overlay.Blend(rgb, null, mask, h, w), h, w);
            if (maps != null && maps.PredCam.Length == r.CamHeight * r.CamWidth)
            {
                predUri = Overlay.ThumbnailDataUri(Overlay.Blend(rgb, Overlay.Upsample(maps.PredCam, r.CamHeight, r.CamWidth, h, w), mask, h, w), h, w);
                trueUri = Overlay.ThumbnailDataUri(Overlay.Blend(rgb, Overlay.Upsample(maps.TrueCam, r.CamHeight, r.CamWidth, h, w), mask, h, w), h, w);
            }
            foreach ((string method, float[] cam) in (methodCams ?? []).Where(m => m.Cam.Length == r.CamHeight * r.CamWidth))
            {
                methodMaps.Add(new KeyValue(method, Overlay.ThumbnailDataUri(Overlay.Blend(rgb, Overlay.Upsample(cam, r.CamHeight, r.CamWidth, h, w), mask, h, w), h, w)));
            }
        }
        catch (SampleException)
        {
            // The dataset file is gone since the audit: the card shows scores only.
        }
        return new GalleryItem(r.SampleId, r.Row, r.Image, r.TrueName, r.PredName, Pct(r.Confidence), Pct(r.TrueProb),
            F(r.PredEnergyLift), Pct(r.PredEnergyInMask), F(r.TrueEnergyLift), Pct(r.TrueEnergyInMask),
            r.PredPointingHit.HasValue ? (r.PredPointingHit.Value ? "hit" : "miss") : "-", Pct(r.MaskFraction), imageUri, predUri, trueUri, info?.Extra ?? [], MethodMaps: methodMaps);
    }

    /// <summary>How many flagged cards show every method's map side by side (the page stays small).</summary>
    public const int SideBySideCards = 8;

    private sealed record ManifestInfo(IReadOnlyList<KeyValue> Extra, Data.Masks.MaskLocator? Mask);

    /// <summary>
    /// The run's dataset source, to read the images and rebuild the masks that the results' <c>mask</c> column names;
    /// null when it cannot be opened any more (the cards then show scores and maps only).
    /// </summary>
    private static Data.Sources.ISampleSource? OpenDataset(AuditOptions cfg)
    {
        try
        {
            return Data.Sources.SampleSources.Open(cfg.Dataset);
        }
        catch (Exception ex) when (ex is ConfigException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    private static List<ErrorSummary> ReadErrors(string runDirectory)
    {
        string path = Path.Combine(runDirectory, "errors.csv");
        if (!File.Exists(path))
        {
            return [];
        }
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        using var text = new StreamReader(path);
        using var csv = CsvReader.Create(text, new CsvReaderOptions(), leaveOpen: false);
        while (csv.Read())
        {
            string code = csv.GetString("reason_code");
            counts[code] = counts.GetValueOrDefault(code) + 1;
        }
        return counts.Select(kv => new ErrorSummary(kv.Key, kv.Value)).ToList();
    }

    /// <summary>
    /// The confusion matrix as a table of row-normalised cells; above <paramref name="maxClasses"/> classes (a table of
    /// C² cells would be megabytes) a heat-map image of the same shares (viridis, one square per cell, lossless PNG)
    /// and the 20 largest confusions.
    /// </summary>
    private static ConfusionMatrix Confusion(long[,] counts, IReadOnlyList<string> classes, int maxClasses)
    {
        int c = classes.Count;
        long RowTotal(int t) => Enumerable.Range(0, c).Sum(p => counts[t, p]);
        long[] totals = Enumerable.Range(0, c).Select(RowTotal).ToArray();
        double Share(int t, int p) => totals[t] == 0 ? 0 : (double)counts[t, p] / totals[t];
        if (c <= maxClasses)
        {
            return new ConfusionMatrix(classes, classes.Select((name, t) => new ConfusionRow(name, Enumerable.Range(0, c)
                .Select(p => new ConfusionCell(counts[t, p], Math.Round(Share(t, p), 3), p == t, name, classes[p])).ToList())).ToList());
        }
        int cell = Math.Max(1, 800 / c), side = cell * c;
        var rgb = new byte[side * side * 3];
        for (int t = 0; t < c; t++)
        {
            for (int p = 0; p < c; p++)
            {
                (byte r, byte g, byte b) = Overlay.Colour((float)Share(t, p));
                for (int y = t * cell; y < (t + 1) * cell; y++)
                {
                    for (int x = p * cell; x < (p + 1) * cell; x++)
                    {
                        int i = ((y * side) + x) * 3;
                        (rgb[i], rgb[i + 1], rgb[i + 2]) = (r, g, b);
                    }
                }
            }
        }
        string uri = "data:image/png;base64," + Convert.ToBase64String(Pixels.EncodePng(rgb, side, side, 3));
        var top = Enumerable.Range(0, c).SelectMany(t => Enumerable.Range(0, c).Where(p => p != t && counts[t, p] > 0).Select(p => (t, p)))
            .OrderByDescending(x => counts[x.t, x.p]).ThenBy(x => x.t).ThenBy(x => x.p).Take(20)
            .Select(x => new TopConfusion(classes[x.t], classes[x.p], counts[x.t, x.p], Pct(Share(x.t, x.p)))).ToList();
        return new ConfusionMatrix(classes, [], uri, top);
    }

    /// <summary>comparison.json of the run folder, when it was compared with a baseline.</summary>
    private static BaselineView? ReadBaseline(string runDirectory)
    {
        string path = Path.Combine(runDirectory, "comparison.json");
        if (!File.Exists(path))
        {
            return null;
        }
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        var overall = root.GetProperty("overall");
        string Fig(System.Text.Json.JsonElement e, string name, bool percent)
        {
            var v = e.GetProperty(name);
            return v.ValueKind != System.Text.Json.JsonValueKind.Number ? "-" : percent ? Pct(v.GetDouble()) : F(v.GetDouble());
        }
        string Delta(string name, bool percent)
        {
            var v = overall.GetProperty("delta").GetProperty(name);
            return v.ValueKind != System.Text.Json.JsonValueKind.Number ? "-"
                : percent ? (v.GetDouble() * 100).ToString("+0.0;-0.0;0.0", CultureInfo.InvariantCulture) + " pp" : v.GetDouble().ToString("+0.00;-0.00;0.00", CultureInfo.InvariantCulture);
        }
        var figures = new (string Label, string Key, bool Percent)[]
        {
            ("accuracy", "accuracy", true), ("mean predicted-class lift", "meanLift", false), ("off-object rate", "offObjectRate", true),
            ("flagged rate", "flaggedRate", true), ("right-for-the-wrong-reason rate", "rightForWrongReasonRate", true),
        }.Select(f => new BaselineFigure(f.Label, Fig(overall.GetProperty("baseline"), f.Key, f.Percent), Fig(overall.GetProperty("current"), f.Key, f.Percent), Delta(f.Key, f.Percent))).ToList();
        string differences = string.Join(", ", root.GetProperty("differences").EnumerateArray().Select(d => d.GetString()));
        return new BaselineView(root.GetProperty("baselineRunId").GetString() ?? "", differences, figures,
            root.GetProperty("newlyFlagged").GetInt64(), root.GetProperty("noLongerFlagged").GetInt64());
    }

    /// <summary>The run's acknowledge list; one that cannot be read any more becomes a note, never a failed report.</summary>
    private static Acknowledgements LoadAcknowledgements(AuditOptions cfg, List<string> notes)
    {
        try
        {
            return Acknowledgements.For(cfg.GatesSettings);
        }
        catch (ConfigException ex)
        {
            notes.Add("The acknowledge list could not be read, so no finding is shown as acknowledged: " + string.Join("; ", ex.Errors));
            return Acknowledgements.None;
        }
    }

    private static string F(double? v) => v.HasValue ? v.Value.ToString("F2", CultureInfo.InvariantCulture) : "-";

    private static string Pct(double? v) => v.HasValue ? (v.Value * 100).ToString("F1", CultureInfo.InvariantCulture) + "%" : "-";

    private static string Pct(float? v) => Pct((double?)v);
}
