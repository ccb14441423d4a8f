/// The gateway's version, as it names itself upstream and in logs.
public enum TollgateVersion {
    public static let string = "0.1.0"
}
