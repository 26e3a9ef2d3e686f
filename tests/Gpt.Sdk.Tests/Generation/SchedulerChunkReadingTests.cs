using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;
using Gpt.Sdk.Generation;

namespace Gpt.Sdk.Tests.Generation;

/// <summary>
/// The caller's side of a batched request (<see cref="GenerationScheduler.ReadChunks"/>). A channel can leave its
/// <see cref="ChannelReader{T}.Completion"/> unset when the reader takes the last item while the writer completes it
/// (measured on the single-consumer channel; reported against the general one as dotnet/runtime#123544); a caller that
/// awaited it hung the soak. These read through a channel whose Completion is never set, as after that race.
/// </summary>
public class SchedulerChunkReadingTests
{
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(10);

    private static GenerationChunk Chunk(int i, FinishReason? finish = null) => new(0, $"t{i}", [], finish);

    [Fact]
    public async Task TheStreamEndsWhenTheChannelEndsEvenIfItsCompletionIsNeverSet()
    {
        var channel = Channel.CreateUnbounded<GenerationChunk>();
        int asked = 0;
        // The loop's side: each time the caller asks, one more chunk; the third is the last, and the channel is completed.
        void Answer()
        {
            int n = ++asked;
            if (n > 3) return;
            channel.Writer.TryWrite(Chunk(n, n == 3 ? FinishReason.Length : null));
            if (n == 3) channel.Writer.TryComplete();
        }

        var read = Collect(GenerationScheduler.ReadChunks(new LostCompletionReader(channel.Reader), Answer));
        Assert.True(await Task.WhenAny(read, Task.Delay(HangLimit)) == read, "the caller still waits on a channel that has ended");
        Assert.Equal(["t1", "t2", "t3"], (await read).Select(c => c.Text));
        Assert.Equal(4, asked);   // once per chunk, and once more to learn that the channel has ended
    }

    [Fact]
    public async Task AFailedRequestThrowsItsOwnExceptionAfterTheChunksBeforeIt()
    {
        var channel = Channel.CreateUnbounded<GenerationChunk>();
        var error = new InvalidOperationException("every token was removed");
        channel.Writer.TryWrite(Chunk(1));
        channel.Writer.TryComplete(error);
        var chunks = new List<GenerationChunk>();

        var read = Task.Run(async () =>
        {
            await foreach (var chunk in GenerationScheduler.ReadChunks(new LostCompletionReader(channel.Reader), () => { })) chunks.Add(chunk);
        });
        Assert.True(await Task.WhenAny(read, Task.Delay(HangLimit)) == read, "the caller still waits on a channel that has failed");
        Assert.Same(error, await Assert.ThrowsAsync<InvalidOperationException>(() => read));
        Assert.Equal("t1", Assert.Single(chunks).Text);
    }

    private static async Task<List<GenerationChunk>> Collect(IAsyncEnumerable<GenerationChunk> chunks)
    {
        await Task.Yield();   // read on the thread pool, as a caller does, so a hang is caught by the limit above
        return await GenerationModels.Collect(chunks);
    }

    /// <summary>A channel's reader whose <see cref="Completion"/> is never set: what the race leaves behind.</summary>
    private sealed class LostCompletionReader(ChannelReader<GenerationChunk> inner) : ChannelReader<GenerationChunk>
    {
        public override Task Completion { get; } = new TaskCompletionSource().Task;

        public override bool TryRead([MaybeNullWhen(false)] out GenerationChunk item) => inner.TryRead(out item);

        public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) => inner.WaitToReadAsync(cancellationToken);
    }
}
