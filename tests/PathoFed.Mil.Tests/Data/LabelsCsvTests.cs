using PathoFed.Mil.Data;

namespace PathoFed.Mil.Tests.Data;

public sealed class LabelsCsvTests
{
    [Fact]
    public void ReadInferringTask_ColumnsSayTheTask()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.File("survival.csv"), "\uFEFFSlide_ID,patient_id,Time,EVENT\ns1,p1,3.5,1\ns2,p2,4,0\n");
        File.WriteAllText(temp.File("classes.csv"), "slide_id,patient_id,label\ns1,p1,MSI\ns2,p2,MSS\n");

        Assert.Equal(MilTask.Survival, LabelsCsv.ReadInferringTask(temp.File("survival.csv")).Task);
        Assert.Equal(MilTask.Classify, LabelsCsv.ReadInferringTask(temp.File("classes.csv")).Task);
    }

    [Fact]
    public void Parse_StringLabels_ClassesSortedAndIndexed()
    {
        MilLabels labels = LabelsCsv.Parse("slide_id,patient_id,label,site\ns1,p1,MSS,A\ns2,p1,MSI,\ns3,p2,MSS,B\n", "labels.csv", MilTask.Classify);

        Assert.Equal(["MSI", "MSS"], labels.ClassNames);
        Assert.Equal([1, 0, 1], labels.Slides.Select(s => s.Target.ClassIndex));
        Assert.Equal(["A", null, "B"], labels.Slides.Select(s => s.Site));
        Assert.Equal(["p1", "p1", "p2"], labels.Slides.Select(s => s.PatientId));
        Assert.Equal([2, 3, 4], labels.Slides.Select(s => s.Line));
    }

    [Fact]
    public void Parse_IntegerLabels_OrderedNumerically()
    {
        MilLabels labels = LabelsCsv.Parse("slide_id,patient_id,label\ns1,p1,10\ns2,p2,2\ns3,p3,0\n", "l.csv", MilTask.Classify);
        Assert.Equal(["0", "2", "10"], labels.ClassNames);
        Assert.Equal([2, 1, 0], labels.Slides.Select(s => s.Target.ClassIndex));
    }

    [Fact]
    public void Parse_ExcelStyleFile_BomQuotesCaseAndBlankLinesTolerated()
    {
        MilLabels labels = LabelsCsv.Parse("\uFEFFSlide_ID,Patient_ID,Label\r\n\"s,1\",p1,\"a \"\"x\"\"\"\r\n\r\ns2 , p2 ,b\r\n", "l.csv", MilTask.Classify);
        Assert.Equal(["s,1", "s2"], labels.Slides.Select(s => s.SlideId));
        Assert.Equal(["a \"x\"", "b"], labels.ClassNames);
        Assert.Equal([2, 4], labels.Slides.Select(s => s.Line));
    }

    [Fact]
    public void Parse_ClassWithOneExample_IsAccepted()
    {
        MilLabels labels = LabelsCsv.Parse("slide_id,patient_id,label\ns1,p1,a\ns2,p2,a\ns3,p3,b\n", "l.csv", MilTask.Classify);
        Assert.Equal(["a", "b"], labels.ClassNames);
    }

    [Fact]
    public void Parse_Survival_ReadsTimeAndEventSpellings()
    {
        MilLabels labels = LabelsCsv.Parse("slide_id,patient_id,time,event\r\ns1,p1,12.5,1\r\ns2,p2,3,false\r\ns3,p3,0,TRUE\r\n", "s.csv", MilTask.Survival);

        Assert.Empty(labels.ClassNames);
        Assert.Equal([12.5, 3, 0], labels.Slides.Select(s => s.Target.Time));
        Assert.Equal([true, false, true], labels.Slides.Select(s => s.Target.Event));
        Assert.All(labels.Slides, s => Assert.Equal(-1, s.Target.ClassIndex));
    }

    [Fact]
    public void Read_File_NamesFileInErrors()
    {
        using var temp = new TempFolder();
        string path = temp.File("labels.csv");
        File.WriteAllText(path, "slide_id,patient_id,label\ns1,p1,a\n");
        var error = Assert.Throws<MilException>(() => LabelsCsv.Read(path, MilTask.Classify));
        Assert.Contains(path, error.Message);
        Assert.Contains("single class ('a')", error.Message);
    }

    [Fact]
    public void Parse_SingleClassAllowedForAFederatedSite_ReadsIt()
    {
        var labels = LabelsCsv.Parse("slide_id,patient_id,label\ns1,p1,MSI\ns2,p2,MSI\n", "site.csv", MilTask.Classify, allowSingleClass: true);

        Assert.Equal(["MSI"], labels.ClassNames);
        Assert.All(labels.Slides, s => Assert.Equal(0, s.Target.ClassIndex));
    }

    [Fact]
    public void Read_MissingFile_SaysItCannotBeRead()
    {
        using var temp = new TempFolder();
        var error = Assert.Throws<MilException>(() => LabelsCsv.Read(temp.File("nope.csv"), MilTask.Classify));
        Assert.Contains("nope.csv' cannot be read", error.Message);
    }

    [Theory]
    [InlineData("", MilTask.Classify, "is empty")]
    [InlineData("\n\n", MilTask.Classify, "is empty")]
    [InlineData("slide_id,patient_id,label\n", MilTask.Classify, "has a header but no slides")]
    [InlineData("slide,patient_id,label\ns1,p1,a\n", MilTask.Classify, "line 1: required column 'slide_id' is missing")]
    [InlineData("slide_id,label\ns1,a\n", MilTask.Classify, "line 1: required column 'patient_id' is missing")]
    [InlineData("slide_id,patient_id,label,time,event\ns1,p1,a,1,1\n", MilTask.Classify, "has both a 'label' column (classification) and 'time'/'event'")]
    [InlineData("slide_id,patient_id,label,time,event\ns1,p1,a,1,1\n", MilTask.Survival, "has both a 'label' column")]
    [InlineData("slide_id,patient_id,time,event\ns1,p1,1,1\n", MilTask.Classify, "classification needs a 'label' column (found columns: slide_id, patient_id, time, event); it has survival columns")]
    [InlineData("slide_id,patient_id,label\ns1,p1,a\n", MilTask.Survival, "survival needs 'time' and 'event' columns (found columns: slide_id, patient_id, label); it has a classification column")]
    [InlineData("slide_id,patient_id\ns1,p1\n", MilTask.Survival, "survival needs 'time' and 'event' columns")]
    [InlineData("slide_id,patient_id,time\ns1,p1,1\n", MilTask.Survival, "required column 'event' is missing")]
    [InlineData("slide_id,patient_id,label,label\ns1,p1,a,b\n", MilTask.Classify, "column 'label' appears twice")]
    [InlineData("slide_id,patient_id,label\ns1,p1,a\ns2,p2,b\ns1,p3,a\n", MilTask.Classify, "line 4: slide_id 's1' is listed twice (first on line 2)")]
    [InlineData("slide_id,patient_id,label\ns1,p1,a\ns2,,b\n", MilTask.Classify, "line 3: 'patient_id' is empty")]
    [InlineData("slide_id,patient_id,label\ns1,p1,a\ns2,p2\n", MilTask.Classify, "line 3: 'label' is empty")]
    [InlineData("slide_id,patient_id,label\ns1,p1,a\ns2,p2,a\n", MilTask.Classify, "single class ('a')")]
    [InlineData("slide_id,patient_id,time,event\ns1,p1,1O,1\n", MilTask.Survival, "line 2: time '1O' is not a number")]
    [InlineData("slide_id,patient_id,time,event\ns1,p1,NaN,1\n", MilTask.Survival, "line 2: time 'NaN' is not a number")]
    [InlineData("slide_id,patient_id,time,event\ns1,p1,5,1\ns2,p2,-0.5,0\n", MilTask.Survival, "line 3: time -0.5 is negative")]
    [InlineData("slide_id,patient_id,time,event\ns1,p1,5,yes\n", MilTask.Survival, "line 2: event 'yes' is not 1/0/true/false")]
    public void Parse_BadInput_NamesFileLineAndCause(string text, MilTask task, string expected)
    {
        var error = Assert.Throws<MilException>(() => LabelsCsv.Parse(text, "cohort.csv", task));
        Assert.Contains("'cohort.csv'", error.Message);
        Assert.Contains(expected, error.Message);
    }
}
