"""chipcast: validated monthly forecasts of China's AI-accelerator demand."""

__version__ = "0.1.0"
