using System.Globalization;

namespace PathoFed.Mil.Data;

/// <summary>One labelled slide of a labels CSV; <see cref="Line"/> is where it was read, for messages.</summary>
public sealed record SlideLabel(string SlideId, string PatientId, MilTarget Target, string? Site, int Line);

/// <summary>
/// The labels of a data set: every slide's target and patient, and for classification the class names
/// (a target's <see cref="MilTarget.ClassIndex"/> indexes <see cref="ClassNames"/>; empty for survival).
/// </summary>
public sealed record MilLabels(string Source, MilTask Task, IReadOnlyList<string> ClassNames, IReadOnlyList<SlideLabel> Slides)
{
    /// <summary>Classification: each slide's class name, by slide id.</summary>
    public Dictionary<string, string> ClassNameBySlide() =>
        Slides.ToDictionary(slide => slide.SlideId, slide => ClassNames[slide.Target.ClassIndex], StringComparer.Ordinal);
}

/// <summary>
/// Reads labels CSVs: columns <c>slide_id</c>, <c>patient_id</c>, optional <c>site</c>, and either <c>label</c>
/// (classification) or <c>time</c> + <c>event</c> (survival; event 1/0/true/false, time a non-negative number).
/// Class order is the sorted distinct label names (numerically when every label is an integer, so 2 precedes 10).
/// </summary>
public static class LabelsCsv
{
    public const string SlideIdColumn = "slide_id";
    public const string PatientIdColumn = "patient_id";
    public const string SiteColumn = "site";
    public const string LabelColumn = "label";
    public const string TimeColumn = "time";
    public const string EventColumn = "event";

    /// <param name="allowSingleClass">
    /// Accept a file whose slides all have one class: a federated site under label skew may hold a single class of the
    /// plan's, and the plan, not this file, fixes the class list (<c>SiteTrainer</c> maps the names onto it).
    /// </param>
    /// <exception cref="MilException">The file is missing, empty or malformed; the message names the file, line and cause.</exception>
    public static MilLabels Read(string path, MilTask task, bool allowSingleClass = false) => Parse(ReadText(path), path, task, allowSingleClass);

    /// <summary>
    /// Reads a labels file whose columns say the task: <c>time</c> and <c>event</c> for survival, else classification
    /// (a site joining a federation learns the task from the plan only after it has loaded its data).
    /// </summary>
    /// <exception cref="MilException">The file is missing, empty or malformed.</exception>
    public static MilLabels ReadInferringTask(string path, bool allowSingleClass = false)
    {
        string text = ReadText(path);
        string[] header = Csv.Parse(text).FirstOrDefault(row => row.Any(field => field.Trim().Length > 0)) ?? [];
        var names = header.Select(ColumnName).ToHashSet(StringComparer.OrdinalIgnoreCase);
        MilTask task = names.Contains(TimeColumn) && names.Contains(EventColumn) ? MilTask.Survival : MilTask.Classify;
        return Parse(text, path, task, allowSingleClass);
    }

    private static string ReadText(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MilException($"Labels file '{path}' cannot be read: {e.Message}", e);
        }
    }

    /// <summary>A header cell as a column name: spaces and a byte-order mark trimmed (compared ignoring case).</summary>
    private static string ColumnName(string headerCell) => headerCell.Trim().TrimStart('\uFEFF');

    /// <summary>Parses CSV text; <paramref name="source"/> names it in messages.</summary>
    /// <exception cref="MilException">The text is empty or malformed.</exception>
    public static MilLabels Parse(string text, string source, MilTask task, bool allowSingleClass = false)
    {
        // Rows are numbered as lines (header = line 1); a quoted field spanning lines would shift the count, which labels never need.
        List<(string[] Fields, int Line)> rows = Csv.Parse(text)
            .Select((fields, index) => (Fields: fields, Line: index + 1))
            .Where(row => row.Fields.Any(field => field.Trim().Length > 0))
            .ToList();
        if (rows.Count == 0) throw Error(source, "is empty: expected a header line and one line per slide");

        var columns = new LabelColumns(rows[0].Fields, source, task);
        if (rows.Count == 1) throw Error(source, "has a header but no slides");

        var slides = new List<SlideLabel>(rows.Count - 1);
        var rawLabels = new List<string>(rows.Count - 1);
        var lineOfSlide = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach ((string[] fields, int line) in rows.Skip(1))
        {
            var row = new LabelRow(fields, line, source);
            string slideId = row.Required(columns.SlideId, SlideIdColumn);
            if (!lineOfSlide.TryAdd(slideId, line))
            {
                throw Error(source, $"line {line}: slide_id '{slideId}' is listed twice (first on line {lineOfSlide[slideId]})");
            }
            string patientId = row.Required(columns.PatientId, PatientIdColumn);
            string? site = columns.Site is int siteColumn && row.Optional(siteColumn) is { Length: > 0 } value ? value : null;
            MilTarget target = default;
            if (task == MilTask.Classify) rawLabels.Add(row.Required(columns.Label, LabelColumn));
            else target = MilTarget.Survival(row.Time(columns.Time), row.Event(columns.Event));
            slides.Add(new SlideLabel(slideId, patientId, target, site, line));
        }

        if (task == MilTask.Survival) return new MilLabels(source, task, [], slides);

        string[] classNames = OrderClassNames(rawLabels);
        if (classNames.Length < 2 && !allowSingleClass)
        {
            throw Error(source, $"has a single class ('{classNames[0]}'): classification needs at least 2 classes in column 'label'");
        }
        var indexOf = classNames.Select((name, index) => (name, index)).ToDictionary(p => p.name, p => p.index, StringComparer.Ordinal);
        SlideLabel[] classified = slides.Select((slide, i) => slide with { Target = MilTarget.Class(indexOf[rawLabels[i]]) }).ToArray();
        return new MilLabels(source, task, classNames, classified);
    }

    private static string[] OrderClassNames(List<string> labels)
    {
        string[] distinct = labels.Distinct(StringComparer.Ordinal).ToArray();
        bool allIntegers = distinct.All(name => long.TryParse(name, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _));
        return allIntegers
            ? distinct.OrderBy(name => long.Parse(name, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture)).ToArray()
            : distinct.OrderBy(name => name, StringComparer.Ordinal).ToArray();
    }

    private static MilException Error(string source, string cause) => new($"Labels file '{source}' {cause}");

    /// <summary>Where each column is, checked against the task once from the header.</summary>
    private sealed class LabelColumns
    {
        public LabelColumns(string[] header, string source, MilTask task)
        {
            var index = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
            for (int i = 0; i < header.Length; i++)
            {
                string name = ColumnName(header[i]);
                if (name.Length > 0 && !index.TryAdd(name, i)) throw Error(source, $"line 1: column '{name}' appears twice");
            }
            int Find(string name) => index.TryGetValue(name, out int i) ? i : -1;
            string found = $"found columns: {string.Join(", ", header.Select(h => h.Trim()))}";
            int Require(string name) =>
                Find(name) is >= 0 and var i ? i : throw Error(source, $"line 1: required column '{name}' is missing ({found})");

            SlideId = Require(SlideIdColumn);
            PatientId = Require(PatientIdColumn);
            Site = Find(SiteColumn) is >= 0 and var site ? site : null;

            bool hasLabel = Find(LabelColumn) >= 0;
            bool hasTime = Find(TimeColumn) >= 0, hasEvent = Find(EventColumn) >= 0;
            if (hasLabel && (hasTime || hasEvent))
            {
                throw Error(source, $"line 1: has both a 'label' column (classification) and 'time'/'event' columns (survival); keep only the columns for the {TaskName(task)} task");
            }
            if (task == MilTask.Classify)
            {
                if (!hasLabel)
                {
                    string hint = hasTime || hasEvent ? "; it has survival columns 'time'/'event': is this a survival task?" : "";
                    throw Error(source, $"line 1: classification needs a 'label' column ({found}){hint}");
                }
                Label = Find(LabelColumn);
            }
            else
            {
                if (!hasTime && !hasEvent)
                {
                    string hint = hasLabel ? "; it has a classification column 'label': is this a classification task?" : "";
                    throw Error(source, $"line 1: survival needs 'time' and 'event' columns ({found}){hint}");
                }
                Time = Require(TimeColumn);
                Event = Require(EventColumn);
            }
        }

        public int SlideId { get; }
        public int PatientId { get; }
        public int? Site { get; }
        public int Label { get; } = -1;
        public int Time { get; } = -1;
        public int Event { get; } = -1;

        private static string TaskName(MilTask task) => task == MilTask.Classify ? "classification" : "survival";
    }

    /// <summary>One data line and the checks on its fields, each failure naming the line.</summary>
    private readonly struct LabelRow(string[] fields, int line, string source)
    {
        public string? Optional(int column) => column < fields.Length ? fields[column].Trim() : null;

        public string Required(int column, string name) =>
            Optional(column) is { Length: > 0 } value ? value : throw Error(source, $"line {line}: '{name}' is empty");

        public double Time(int column)
        {
            string value = Required(column, TimeColumn);
            if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double time) || !double.IsFinite(time))
            {
                throw Error(source, $"line {line}: time '{value}' is not a number");
            }
            if (time < 0) throw Error(source, $"line {line}: time {value} is negative");
            return time;
        }

        public bool Event(int column)
        {
            string value = Required(column, EventColumn);
            return value.ToLowerInvariant() switch
            {
                "1" or "true" => true,
                "0" or "false" => false,
                _ => throw Error(source, $"line {line}: event '{value}' is not 1/0/true/false"),
            };
        }
    }
}
