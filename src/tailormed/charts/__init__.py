"""Small, dependency-free SVG charts shared by the clinical domains (see :mod:`.svg`,
:mod:`.bars`)."""

from tailormed.charts.bars import Band, Bar, bar_chart
from tailormed.charts.svg import Event, Line, Marker, Reference, time_chart

__all__ = ["Band", "Bar", "Event", "Line", "Marker", "Reference", "bar_chart", "time_chart"]
