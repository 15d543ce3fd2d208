namespace Harness;

public static class Within
{
    /// <summary>Awaits <paramref name="task"/> for at most <paramref name="timeout"/>, failing with what was awaited.</summary>
    public static async Task<T> Async<T>(Task<T> task, TimeSpan timeout, string what)
    {
        try
        {
            return await task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{what}: not done within {timeout.TotalSeconds} s.");
        }
    }

    public static async Task Async(Task task, TimeSpan timeout, string what) =>
        await Async(task.ContinueWith(t => { t.GetAwaiter().GetResult(); return true; }, TaskScheduler.Default), timeout, what);

    /// <summary>Polls <paramref name="condition"/> until it holds, failing with what was awaited after <paramref name="timeout"/>.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        for (var deadline = DateTime.UtcNow + timeout; !await condition(); await Task.Delay(100))
        {
            if (DateTime.UtcNow >= deadline)
            {
                throw new TimeoutException($"Not reached within {timeout.TotalSeconds} s: {what}.");
            }
        }
    }

    public static Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what) =>
        UntilAsync(() => Task.FromResult(condition()), timeout, what);
}
