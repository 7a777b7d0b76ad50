namespace PathoFed.Slides.Tissue;

/// <summary>Finds tissue on a slide thumbnail.</summary>
public interface ITissueDetector
{
    /// <summary>Level-0 pixels per thumbnail pixel this detector wants for a slide of this size.</summary>
    double DownsampleFor(SlideMetadata metadata);

    TissueMask Detect(SlideThumbnail thumbnail);
}
