using GradCamAudit.Explain.Interventions;
using Xunit;
using static TorchSharp.torch;

namespace GradCamAudit.Tests.Explain;

/// <summary>The object-only and background-only inputs, checked pixel by pixel on tiny tensors with a model that reads them back.</summary>
[Collection(TorchCollection.Name)]
public sealed class InterventionTests
{
    /// <summary>
    /// A "model" with two logits per input: the sum of channel 0 inside the left half and inside the right half. On an
    /// image of ones whose object is the left half, the object alone keeps only the left sum and the background alone only
    /// the right one, so the predictions are 0 and 1; the captured inputs are checked cell by cell.
    /// </summary>
    [Fact]
    public void Run_KeepsTheObjectOrTheBackground_AndFillsTheRestWithZero()
    {
        using var scope = NewDisposeScope();
        var seen = new List<float[]>();
        Tensor Logits(Tensor inputs)
        {
            seen.AddRange(Enumerable.Range(0, (int)inputs.shape[0]).Select(i => inputs[i].flatten().data<float>().ToArray()));
            Tensor left = inputs.narrow(3, 0, 2).select(1, 0).sum([1, 2]);
            Tensor right = inputs.narrow(3, 2, 2).select(1, 0).sum([1, 2]);
            return stack([left, right], 1);
        }
        Tensor x = ones(3, 3, 2, 4) * tensor(new float[] { 1, 2, 3 }).view(3, 1, 1, 1); // sample i has value i+1 everywhere
        Tensor masks = zeros(3, 2, 4);
        masks.narrow(2, 0, 2).fill_(1); // the object: the left half of every sample
        InterventionOutcome[] outcomes = Intervention.Run(Logits, x, masks, null, [2, 0], chunk: 1);
        Assert.Equal(2, outcomes.Length);
        Assert.All(outcomes, o => Assert.Equal((0, 1), (o.ObjectOnlyPred, o.BackgroundOnlyPred)));
        // Sample 2 (value 3): left sum 12 vs 0, so the object-only softmax is 1 / (1 + e^-12).
        Assert.Equal(1 / (1 + Math.Exp(-12)), outcomes[0].ObjectOnlyProb, 5);
        Assert.Equal(1 / (1 + Math.Exp(-4)), outcomes[1].ObjectOnlyProb, 5);
        // Four inputs, object-only first (chunks of 1): sample 2, sample 0, then their background-only copies.
        Assert.Equal(4, seen.Count);
        float[] objectOnly = seen[0], backgroundOnly = seen[2];
        for (int c = 0; c < 3; c++)
        {
            for (int h = 0; h < 2; h++)
            {
                for (int w = 0; w < 4; w++)
                {
                    int at = (c * 8) + (h * 4) + w;
                    Assert.Equal(w < 2 ? 3f : 0f, objectOnly[at]);
                    Assert.Equal(w < 2 ? 0f : 3f, backgroundOnly[at]);
                }
            }
        }
    }

    /// <summary>Void pixels (valid = 0) are the object's uncertain border: removed from the background-only input, and not part of the object.</summary>
    [Fact]
    public void Run_RemovesVoidPixelsFromTheBackground()
    {
        using var scope = NewDisposeScope();
        var seen = new List<float[]>();
        Tensor Logits(Tensor inputs)
        {
            seen.AddRange(Enumerable.Range(0, (int)inputs.shape[0]).Select(i => inputs[i].select(0, 0).flatten().data<float>().ToArray()));
            return zeros(inputs.shape[0], 2);
        }
        Tensor x = ones(1, 3, 1, 4);
        Tensor masks = tensor(new float[] { 1, 0, 0, 0 }).view(1, 1, 4);
        Tensor valid = tensor(new float[] { 1, 0, 1, 1 }).view(1, 1, 4);
        Intervention.Run(Logits, x, masks, valid, [0], chunk: 8);
        Assert.Equal([1f, 0f, 0f, 0f], seen[0]);
        Assert.Equal([0f, 0f, 1f, 1f], seen[1]);
    }

    [Fact]
    public void Run_WithNothingChosen_RunsNoForward()
    {
        int calls = 0;
        Tensor Logits(Tensor inputs)
        {
            calls++;
            return inputs;
        }
        Assert.Empty(Intervention.Run(Logits, ones(2, 3, 2, 2), ones(2, 2, 2), null, [], 4));
        Assert.Equal(0, calls);
    }
}
