/// prctl(2) options (linux/prctl.h is not imported into Swift).
public enum Prctl {
    public static let setPdeathsig: Int32 = 1
    public static let setDumpable: Int32 = 4
    public static let setKeepCaps: Int32 = 8
    public static let capbsetDrop: Int32 = 24
    public static let setNoNewPrivs: Int32 = 38
    public static let capAmbient: Int32 = 47
    public static let capAmbientRaise: Int32 = 2
    public static let capAmbientClearAll: Int32 = 4
}
