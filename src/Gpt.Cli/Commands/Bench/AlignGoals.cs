namespace Gpt.Cli.Commands.Bench;

/// <summary>
/// Issue 9's acceptance goals for <c>gpt bench align</c>, judged on the measured figures: each goal states what it asks,
/// the numbers it compared, and whether it was met.
/// </summary>
internal static class AlignGoals
{
    /// <summary>The held-out pairwise accuracy the reward model should reach.</summary>
    public const double RewardAccuracy = 0.85;

    /// <summary>The aligned models (PPO, PPO-ptx, DPO), each measure of the SFT model beside the aligned model's:
    /// <c>{stage: {measure: [before, after]}}</c>.</summary>
    public static Dictionary<string, object> BeforeAfter(Dictionary<string, object> models)
    {
        var sft = Measures(models, "sft");
        var table = new Dictionary<string, object>();
        foreach (string stage in new[] { "ppo", "ppo_ptx", "dpo" })
        {
            var after = Measures(models, stage);
            table[stage] = new[] { "true_score_sampled", "true_score_greedy", "held_out_lm_loss" }
                .ToDictionary(m => m, m => (object)new[] { (double)sft[m], (double)after[m] });
        }
        return table;
    }

    /// <summary>Each goal with its figures and <c>met</c>, and <c>all_met</c>.</summary>
    public static Dictionary<string, object> Judge(Dictionary<string, object> models, Dictionary<string, object> rewardModel)
    {
        double Score(string model) => (double)Measures(models, model)["true_score_sampled"];
        double Loss(string model) => (double)Measures(models, model)["held_out_lm_loss"];
        double sft = Score("sft"), accuracy = (double)rewardModel["held_out_accuracy"];
        double tax = Loss("ppo") - Loss("sft"), ptxTax = Loss("ppo_ptx") - Loss("sft");
        var goals = new Dictionary<string, object>
        {
            ["sft_true_score_between_0.3_and_0.6"] = Goal($"SFT's sampled true score {sft}", sft is >= 0.3 and <= 0.6),
            ["reward_model_held_out_accuracy_at_least_0.85"] = Goal($"held-out pairwise accuracy {accuracy}", accuracy >= RewardAccuracy),
            ["ppo_true_score_rises_over_sft"] = Goal($"sampled true score {sft} -> {Score("ppo")}", Score("ppo") > sft),
            ["ppo_ptx_true_score_rises_over_sft"] = Goal($"sampled true score {sft} -> {Score("ppo_ptx")}", Score("ppo_ptx") > sft),
            ["ppo_ptx_lm_loss_degrades_less_than_ppo"] = Goal(
                $"held-out LM loss change from SFT's {Loss("sft")}: PPO {tax:+0.0000;-0.0000}, PPO-ptx {ptxTax:+0.0000;-0.0000}", ptxTax < tax),
            ["dpo_true_score_rises_over_sft"] = Goal($"sampled true score {sft} -> {Score("dpo")}", Score("dpo") > sft),
        };
        goals["all_met"] = goals.Values.All(g => (bool)((Dictionary<string, object>)g)["met"]);
        return goals;
    }

    private static Dictionary<string, object> Goal(string figures, bool met) => new() { ["figures"] = figures, ["met"] = met };

    private static Dictionary<string, object> Measures(Dictionary<string, object> models, string model) => (Dictionary<string, object>)models[model];
}
