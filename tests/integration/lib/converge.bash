# Intel's convergence of a status with an UpToDate / OutOfDate / Revoked
# one, sourced by the status matrix tests: convergeTcbStatusWithQeTcbStatus
# (platform or TDX status with the QE's) and convergeTcbStatusWithTdxModuleStatus
# (TDX level with the module's) share it (docs/tdx.md).
#   converge STATUS OTHER
converge() {
    case "$2" in
    UpToDate) echo "$1" ;;
    Revoked) echo Revoked ;;
    OutOfDate)
        case "$1" in
        UpToDate | SWHardeningNeeded) echo OutOfDate ;;
        ConfigurationNeeded | ConfigurationAndSWHardeningNeeded) echo OutOfDateConfigurationNeeded ;;
        *) echo "$1" ;;
        esac ;;
    esac
}
