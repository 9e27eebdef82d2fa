"""accelkit."""
