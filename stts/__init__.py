"""STTS: the Belgian social telephone tariff application. The factory is ``stts.app``."""
