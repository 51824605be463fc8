// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice Minimal stand-in for forge-std's StdInvariant: forge reads these public functions (by name and ABI shape)
/// to decide which contracts, selectors and senders an invariant campaign fuzzes. Empty arrays mean "no filter".
abstract contract InvariantTest {
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    struct FuzzArtifactSelector {
        string artifact;
        bytes4[] selectors;
    }

    struct FuzzInterface {
        address addr;
        string[] artifacts;
    }

    address[] private _targetContracts;
    FuzzSelector[] private _targetSelectors;
    address[] private _excludeSenders;

    function _targetContract(address target) internal {
        _targetContracts.push(target);
    }

    function _targetSelector(FuzzSelector memory selector) internal {
        _targetSelectors.push(selector);
    }

    function _excludeSender(address sender) internal {
        _excludeSenders.push(sender);
    }

    function targetContracts() public view returns (address[] memory) {
        return _targetContracts;
    }

    function targetSelectors() public view returns (FuzzSelector[] memory) {
        return _targetSelectors;
    }

    function excludeSenders() public view returns (address[] memory) {
        return _excludeSenders;
    }

    function targetSenders() public pure returns (address[] memory) {}

    function excludeContracts() public pure returns (address[] memory) {}

    function excludeSelectors() public pure returns (FuzzSelector[] memory) {}

    function targetArtifacts() public pure returns (string[] memory) {}

    function excludeArtifacts() public pure returns (string[] memory) {}

    function targetArtifactSelectors() public pure returns (FuzzArtifactSelector[] memory) {}

    function targetInterfaces() public pure returns (FuzzInterface[] memory) {}
}

/// @notice console.log through forge's console address (no forge-std here).
library console {
    address internal constant CONSOLE = 0x000000000000000000636F6e736F6c652e6c6f67;

    function log(string memory label, uint256 value) internal view {
        (bool ok,) = CONSOLE.staticcall(abi.encodeWithSignature("log(string,uint256)", label, value));
        ok;
    }

    function log(string memory label) internal view {
        (bool ok,) = CONSOLE.staticcall(abi.encodeWithSignature("log(string)", label));
        ok;
    }
}
