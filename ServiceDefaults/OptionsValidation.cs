using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

public static class OptionsValidation
{
    /// <summary>
    /// Validates <typeparamref name="TOptions"/> with rules that span several values (which data annotations cannot
    /// say); each message names its configuration key. Runs with ValidateOnStart, so a bad value stops the start.
    /// </summary>
    public static IServiceCollection AddOptionsRules<TOptions>(
        this IServiceCollection services, Func<TOptions, IServiceProvider, IEnumerable<string>> rules)
        where TOptions : class =>
        services.AddSingleton<IValidateOptions<TOptions>>(sp => new RulesValidator<TOptions>(options => rules(options, sp)));

    private sealed class RulesValidator<TOptions>(Func<TOptions, IEnumerable<string>> rules) : IValidateOptions<TOptions>
        where TOptions : class
    {
        public ValidateOptionsResult Validate(string? name, TOptions options)
        {
            var failures = rules(options).ToList();
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
