using System.Globalization;
using PathoFed.Mil.Data;
using PathoFed.Mil.Tests.Data;

namespace PathoFed.Mil.Tests.Experiments;

/// <summary>Planted-witness bags written as a real cohort: features tables per slide and a labels CSV, as 'embed' and a clinician would leave them.</summary>
internal static class PlantedCohort
{
    public sealed record Files(string FeaturesDir, string LabelsCsv, IReadOnlyList<MilTestData.PlantedBag> Bags);

    public static async Task<Files> WriteAsync(string root, IReadOnlyList<MilTestData.PlantedBag> bags, MilTask task)
    {
        string features = Path.Combine(root, "features");
        var lines = new List<string> { task == MilTask.Classify ? "slide_id,patient_id,label" : "slide_id,patient_id,time,event" };
        foreach (MilTestData.PlantedBag planted in bags)
        {
            MilExample e = planted.Example;
            await FeatureFolders.WriteAsync(features, e.SlideId, e.Bag.Dim, e.Bag.Instances);
            lines.Add(task == MilTask.Classify
                ? $"{e.SlideId},{e.PatientId},{(e.Target.ClassIndex == 1 ? "MSI" : "MSS")}"
                : string.Create(CultureInfo.InvariantCulture, $"{e.SlideId},{e.PatientId},{e.Target.Time:R},{(e.Target.Event ? 1 : 0)}"));
        }
        string labels = Path.Combine(root, "labels.csv");
        File.WriteAllLines(labels, lines);
        return new Files(features, labels, bags);
    }
}
