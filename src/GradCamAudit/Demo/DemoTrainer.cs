using GradCamAudit.Modeling;
using GradCamAudit.Scoring;
using TorchSharp;
using static TorchSharp.torch;

namespace GradCamAudit.Demo;

/// <summary>Trains the demo CNN on the demo's training split (with its planted shortcut) and saves TorchSharp weights.</summary>
public static class DemoTrainer
{
    /// <summary>Normalisation used by the demo config: (x/255 - 0.5) / 0.5 per channel.</summary>
    public const float Mean = 0.5f;
    public const float Std = 0.5f;

    /// <summary>The seed the committed demo CNN was trained with.</summary>
    public const long DefaultSeed = 1234;

    public static void Train(string weightsPath, int perClass, int epochs, Action<string> log, long seed = DefaultSeed, int shortcutPercent = DemoDataset.DefaultShortcutPercent)
    {
        torch.manual_seed(seed);
        var samples = DemoDataset.TrainingSplit(perClass, shortcutPercent: shortcutPercent).ToArray();
        int n = samples.Length, hw = DemoDataset.Size * DemoDataset.Size;
        var pixels = new byte[n * hw * 3];
        var labels = new long[n];
        for (int i = 0; i < n; i++)
        {
            Buffer.BlockCopy(samples[i].Rgb, 0, pixels, i * hw * 3, hw * 3);
            labels[i] = samples[i].Label;
        }
        using Tensor x = ((tensor(pixels, [n, DemoDataset.Size, DemoDataset.Size, 3]).permute(0, 3, 1, 2).to_type(ScalarType.Float32) / 255f) - Mean) / Std;
        using Tensor y = tensor(labels);
        using var model = new DemoCnn(DemoDataset.Classes.Count);
        using var optimizer = optim.Adam(model.parameters(), lr: 2e-3);
        var lossFn = nn.CrossEntropyLoss();
        const int batch = 64;
        var gen = new SplitMix64((ulong)seed);
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            model.train();
            int[] order = Enumerable.Range(0, n).OrderBy(_ => gen.Next()).ToArray();
            double lossSum = 0;
            int correct = 0;
            for (int start = 0; start < n; start += batch)
            {
                using var scope = NewDisposeScope();
                Tensor idx = tensor(order.Skip(start).Take(batch).Select(i => (long)i).ToArray());
                Tensor xb = x.index_select(0, idx), yb = y.index_select(0, idx);
                optimizer.zero_grad();
                Tensor logits = model.call(xb);
                Tensor loss = lossFn.call(logits, yb);
                loss.backward();
                optimizer.step();
                lossSum += loss.item<float>() * idx.shape[0];
                correct += (int)logits.argmax(1).eq(yb).sum().item<long>();
            }
            log($"epoch {epoch + 1}/{epochs}: loss {lossSum / n:F4}, train accuracy {(double)correct / n:P1}");
        }
        model.eval();
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(weightsPath))!);
        model.save(weightsPath);
    }
}
