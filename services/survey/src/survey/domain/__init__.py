"""The survey's pure rules: the IKM arithmetic of PermenPAN-RB 14/2017. No I/O."""
