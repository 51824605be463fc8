// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {vm} from "../utils/Vm.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {MathLib} from "../../src/libraries/MathLib.sol";

/// @notice Both implementations behind external calls, so a revert (and its data) can be compared too.
contract MulDivPair {
    function fast(uint256 x, uint256 y, uint256 d, bool up) external pure returns (uint256) {
        return up ? MathLib.mulDivUp(x, y, d) : MathLib.mulDivDown(x, y, d);
    }

    function oz(uint256 x, uint256 y, uint256 d, bool up) external pure returns (uint256) {
        return Math.mulDiv(x, y, d, up ? Math.Rounding.Ceil : Math.Rounding.Floor);
    }

    function viaRounding(uint256 x, uint256 y, uint256 d, Math.Rounding r) external pure returns (uint256) {
        return MathLib.mulDiv(x, y, d, r);
    }
}

/// @notice MathLib's short path changes gas only: every result and every revert equals OpenZeppelin's mulDiv.
contract MathLibFuzzTest {
    MulDivPair internal p = new MulDivPair();

    function _same(uint256 x, uint256 y, uint256 d, bool up) internal view {
        (bool okA, bytes memory a) = address(p).staticcall(abi.encodeCall(MulDivPair.fast, (x, y, d, up)));
        (bool okB, bytes memory b) = address(p).staticcall(abi.encodeCall(MulDivPair.oz, (x, y, d, up)));
        vm.assertEq(okA, okB, "one reverted, not the other");
        vm.assertEq(keccak256(a), keccak256(b), "different result or revert data");
    }

    function testFuzz_mulDivMatchesOz(uint256 x, uint256 y, uint256 d, bool up) public view {
        _same(x, y, d, up);
    }

    /// @dev Products that fit in 256 bits (the short path) and small denominators, where rounding matters most.
    function testFuzz_mulDivMatchesOzSmall(uint128 x, uint128 y, uint64 d, bool up) public view {
        _same(x, y, d, up);
    }

    function test_mulDivEdges() public view {
        uint256 max = type(uint256).max;
        _same(0, max, 0, false); // d == 0: panic 0x12 on both paths
        _same(0, max, 0, true);
        _same(1, 1, 0, true);
        _same(max, max, max, true); // overflowing product, exact result
        _same(max, 2, 1, false); // result overflows: OZ's panic
        _same(max, 1, 1, true);
        _same(max - 1, 3, 3, true);
        _same(7, 3, 2, true);
        _same(7, 3, 2, false);
        vm.assertEq(p.viaRounding(7, 3, 2, Math.Rounding.Ceil), 11);
        vm.assertEq(p.viaRounding(7, 3, 2, Math.Rounding.Expand), 11);
        vm.assertEq(p.viaRounding(7, 3, 2, Math.Rounding.Floor), 10);
        vm.assertEq(p.viaRounding(7, 3, 2, Math.Rounding.Trunc), 10);
    }
}
