namespace AppHost.BackingServices.Local;

internal static class ArgsExtensions
{
    public static void Append(this IList<object> args, IEnumerable<string> values)
    {
        foreach (var value in values)
        {
            args.Add(value);
        }
    }
}
