// SPDX-License-Identifier: MIT
pragma solidity ^0.8.0;

/// @notice A log recorded by `recordLogs` (forge's Vm.Log).
struct VmLog {
    bytes32[] topics;
    bytes data;
    address emitter;
}

/// @notice The forge cheatcodes the tests use, declared locally: forge-std on npm is an old copy that does not
/// build offline, and forge serves these at the cheatcode address regardless.
interface Vm {
    function prank(address) external;
    function startPrank(address) external;
    function stopPrank() external;
    function warp(uint256) external;
    function roll(uint256) external;
    function deal(address, uint256) external;
    function label(address, string calldata) external;
    function addr(uint256) external pure returns (address);
    function sign(uint256, bytes32) external pure returns (uint8, bytes32, bytes32);
    function assume(bool) external pure;
    function expectRevert() external;
    function expectRevert(bytes4) external;
    function expectRevert(bytes calldata) external;
    function expectEmit(bool, bool, bool, bool) external;
    function expectEmit(bool, bool, bool, bool, address) external;
    function expectEmit() external;
    function expectCall(address, bytes calldata) external;
    function snapshotState() external returns (uint256);
    function revertToState(uint256) external returns (bool);
    function startSnapshotGas(string calldata) external;
    function stopSnapshotGas() external returns (uint256);
    function snapshotGasLastCall(string calldata, string calldata) external returns (uint256);
    function skip(bool) external;
    function pauseGasMetering() external;
    function resumeGasMetering() external;
    function getBlockTimestamp() external view returns (uint256);
    function recordLogs() external;
    function getRecordedLogs() external returns (VmLog[] memory);
    function envOr(string calldata, uint256) external view returns (uint256);
    function envOr(string calldata, string calldata) external view returns (string memory);
    function envOr(string calldata, address) external view returns (address);
    function envAddress(string calldata) external view returns (address);
    function envUint(string calldata) external view returns (uint256);
    function envString(string calldata) external view returns (string memory);
    function readFile(string calldata) external view returns (string memory);
    function writeFile(string calldata, string calldata) external;
    function writeJson(string calldata, string calldata) external;
    function parseJson(string calldata, string calldata) external pure returns (bytes memory);
    function parseJsonUint(string calldata, string calldata) external pure returns (uint256);
    function parseJsonAddress(string calldata, string calldata) external pure returns (address);
    function parseJsonString(string calldata, string calldata) external pure returns (string memory);
    function parseJsonUintArray(string calldata, string calldata) external pure returns (uint256[] memory);
    function parseBytes(string calldata) external pure returns (bytes memory);
    function keyExistsJson(string calldata, string calldata) external view returns (bool);
    function parseJsonKeys(string calldata, string calldata) external pure returns (string[] memory);
    function serializeAddress(string calldata, string calldata, address) external returns (string memory);
    function serializeUint(string calldata, string calldata, uint256) external returns (string memory);
    function serializeString(string calldata, string calldata, string calldata) external returns (string memory);
    function toString(uint256) external pure returns (string memory);
    function toString(address) external pure returns (string memory);
    function startBroadcast() external;
    function startBroadcast(uint256) external;
    function stopBroadcast() external;
    function projectRoot() external view returns (string memory);

    function assertTrue(bool) external pure;
    function assertTrue(bool, string calldata) external pure;
    function assertFalse(bool) external pure;
    function assertFalse(bool, string calldata) external pure;
    function assertEq(uint256, uint256) external pure;
    function assertEq(uint256, uint256, string calldata) external pure;
    function assertEq(int256, int256) external pure;
    function assertEq(address, address) external pure;
    function assertEq(address, address, string calldata) external pure;
    function assertEq(bool, bool) external pure;
    function assertEq(bool, bool, string calldata) external pure;
    function assertEq(bytes32, bytes32) external pure;
    function assertEq(bytes32, bytes32, string calldata) external pure;
    function assertNotEq(uint256, uint256) external pure;
    function assertGt(uint256, uint256) external pure;
    function assertGt(uint256, uint256, string calldata) external pure;
    function assertGe(uint256, uint256) external pure;
    function assertGe(uint256, uint256, string calldata) external pure;
    function assertLt(uint256, uint256) external pure;
    function assertLt(uint256, uint256, string calldata) external pure;
    function assertLe(uint256, uint256) external pure;
    function assertLe(uint256, uint256, string calldata) external pure;
    function assertApproxEqAbs(uint256, uint256, uint256) external pure;
    function assertApproxEqAbs(uint256, uint256, uint256, string calldata) external pure;
    function assertApproxEqRel(uint256, uint256, uint256) external pure;
}

Vm constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
