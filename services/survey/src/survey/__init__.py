"""Antre's satisfaction survey (SKM): who may answer, the answers, the IKM reports."""
